// CDL grid math: EPSG:5070, 30 m pixels, pixel edges at x0 + 30k (x) and y0 - 30k (y).
// Pure functions; boxes are [minX, minY, maxX, maxY] in metres.
import { CDL_GRID, CHIP, type BBox } from '@hls/contracts';

const { x0, y0, pixelSize } = CDL_GRID;

/** A pixel window on the CDL grid: column/row offsets from the grid origin and size in pixels. */
export interface PixelWindow {
  col: number;
  row: number;
  width: number;
  height: number;
}

/** Map coordinates of a pixel corner (col, row may be fractional: +0.5 is the pixel centre). */
export function pixelToMap(col: number, row: number): [number, number] {
  return [x0 + col * pixelSize, y0 - row * pixelSize];
}

/** Fractional pixel coordinates (col, row) of a map point. */
export function mapToPixel(x: number, y: number): [number, number] {
  return [(x - x0) / pixelSize, (y0 - y) / pixelSize];
}

/** The nearest grid line to x (an x pixel edge). */
export function snapX(x: number): number {
  return x0 + Math.round((x - x0) / pixelSize) * pixelSize;
}
/** The nearest grid line to y (a y pixel edge). */
export function snapY(y: number): number {
  return y0 - Math.round((y0 - y) / pixelSize) * pixelSize;
}

/** Distance in metres from each edge of a box to its nearest grid line (largest of the four). */
export function gridOffset(box: BBox): number {
  const [a, b, c, d] = box;
  return Math.max(Math.abs(a - snapX(a)), Math.abs(c - snapX(c)), Math.abs(b - snapY(b)), Math.abs(d - snapY(d)));
}

/** True when every edge of the box lies on a grid line (within `tol` metres). */
export function isOnGrid(box: BBox, tol = 1e-6): boolean {
  return gridOffset(box) <= tol;
}

/** Snap each edge of a box to its nearest grid line. */
export function snapBox(box: BBox): BBox {
  return [snapX(box[0]), snapY(box[1]), snapX(box[2]), snapY(box[3])];
}

/** Snap a box outwards: the smallest grid-aligned box that covers it. */
export function snapBoxOut(box: BBox): BBox {
  const colMin = Math.floor((box[0] - x0) / pixelSize);
  const colMax = Math.ceil((box[2] - x0) / pixelSize);
  const rowMin = Math.floor((y0 - box[3]) / pixelSize);
  const rowMax = Math.ceil((y0 - box[1]) / pixelSize);
  return [x0 + colMin * pixelSize, y0 - rowMax * pixelSize, x0 + colMax * pixelSize, y0 - rowMin * pixelSize];
}

/** Pixel window (relative to the CDL grid origin) that covers a box; a grid-aligned box maps exactly. */
export function windowOfBox(box: BBox): PixelWindow {
  const s = snapBoxOut(box);
  const col = Math.round((s[0] - x0) / pixelSize);
  const row = Math.round((y0 - s[3]) / pixelSize);
  return { col, row, width: Math.round((s[2] - s[0]) / pixelSize), height: Math.round((s[3] - s[1]) / pixelSize) };
}

/** Map box of a pixel window. */
export function boxOfWindow(w: PixelWindow): BBox {
  const [minX, maxY] = pixelToMap(w.col, w.row);
  const [maxX, minY] = pixelToMap(w.col + w.width, w.row + w.height);
  return [minX, minY, maxX, maxY];
}

/** Size of a box in whole pixels, or null when a side is not a whole number of pixels. */
export function boxPixels(box: BBox, tol = 1e-6): { width: number; height: number } | null {
  const w = (box[2] - box[0]) / pixelSize;
  const h = (box[3] - box[1]) / pixelSize;
  if (Math.abs(w - Math.round(w)) > tol || Math.abs(h - Math.round(h)) > tol) return null;
  return { width: Math.round(w), height: Math.round(h) };
}

/** The chip box at lattice (row, col): 224-px chips laid from the grid origin (the chip id's numbers). */
export function chipBoxAt(row: number, col: number): BBox {
  const minX = x0 + col * CHIP.sizeMetres;
  const maxY = y0 - row * CHIP.sizeMetres;
  return [minX, maxY - CHIP.sizeMetres, minX + CHIP.sizeMetres, maxY];
}

/** Lattice (row, col) of a chip box when it lies on the 224-px chip lattice, else null. */
export function chipLatticeOf(box: BBox): { row: number; col: number } | null {
  const c = (box[0] - x0) / CHIP.sizeMetres;
  const r = (y0 - box[3]) / CHIP.sizeMetres;
  if (!Number.isInteger(c) || !Number.isInteger(r)) return null;
  return { row: r, col: c };
}

/** Centre of a box. */
export function boxCenter(box: BBox): [number, number] {
  return [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
}
