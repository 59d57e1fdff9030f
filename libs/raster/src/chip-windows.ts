// Chip windows: which destination pixels a tile's chips cover, and which source pixels and blocks the
// warp reads for them. The warp of a chip window uses the tile window's coordinate grid (one per band
// file, anchored on the CDL lattice at the tile window's corner), so a chip's pixels are the same
// values the whole-tile warp computes: the chips mode is byte-identical to the tiles mode.
import type { GridWindow } from './grid.ts';
import type { CoordGrid, Resampling } from './warp.ts';
import type { PixelWindow } from './types.ts';

/** [minX, minY, maxX, maxY] in the window's CRS (EPSG:5070 metres for chip boxes). */
export type Box = readonly [number, number, number, number];

/**
 * Source pixels read beyond the sampled positions: the bilinear kernel reads floor(s - 0.5) and the
 * pixel after it; one more on each side covers the difference between the scan below and the warp's
 * incremental row arithmetic, and the nearest kernel's exact refinement (within 2 x the grid error).
 */
const KERNEL_MARGIN: Record<Resampling, number> = { bilinear: 2, nearest: 2 };

/** Each box's pixel rectangle in `window` (edges snapped outward, clipped); boxes outside it are dropped. */
export function chipRects(window: GridWindow, boxes: readonly Box[]): PixelWindow[] {
  const p = window.pixelSize;
  const eps = 1e-6;
  const out: PixelWindow[] = [];
  for (const [minX, minY, maxX, maxY] of boxes) {
    const x0 = Math.max(0, Math.floor((minX - window.minX) / p + eps));
    const x1 = Math.min(window.width, Math.ceil((maxX - window.minX) / p - eps));
    const y0 = Math.max(0, Math.floor((window.maxY - maxY) / p + eps));
    const y1 = Math.min(window.height, Math.ceil((window.maxY - minY) / p - eps));
    if (x1 > x0 && y1 > y0) out.push({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
  }
  return out;
}

/**
 * The source window the warp reads to fill `rect` of the destination: every position the grid gives a
 * pixel of the rectangle, plus the kernel's reach; null when no pixel maps inside the source.
 */
export function sourceWindowFor(grid: CoordGrid, rect: PixelWindow, src: { width: number; height: number }, resampling: Resampling): PixelWindow | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const { step, cols, rows, sx: gx, sy: gy } = grid;
  const at = (ix: number, iy: number): void => {
    const r = Math.min(Math.floor(iy / step), rows - 2);
    const c = Math.min(Math.floor(ix / step), cols - 2);
    const fy = (iy - r * step) / step;
    const fx = (ix - c * step) / step;
    const i = r * cols + c;
    const x = (gx[i]! * (1 - fx) + gx[i + 1]! * fx) * (1 - fy) + (gx[i + cols]! * (1 - fx) + gx[i + cols + 1]! * fx) * fy;
    const y = (gy[i]! * (1 - fx) + gy[i + 1]! * fx) * (1 - fy) + (gy[i + cols]! * (1 - fx) + gy[i + cols + 1]! * fx) * fy;
    // NaN (a failed transform) compares false everywhere: skipped, as the warp skips it.
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  };
  // Inside a grid cell the positions are bilinear in the pixel indices, so over the cell's part of the
  // rectangle they are extreme at that part's four corners: those are the only pixels to evaluate.
  const x1 = rect.x + rect.width - 1;
  const y1 = rect.y + rect.height - 1;
  const cellEnd = (k: number, n: number) => (k >= n - 2 ? Infinity : (k + 1) * step - 1);
  for (let r = Math.min(Math.floor(rect.y / step), rows - 2); r <= Math.min(Math.floor(y1 / step), rows - 2); r++) {
    const ya = Math.max(rect.y, r * step);
    const yb = Math.min(y1, cellEnd(r, rows));
    for (let c = Math.min(Math.floor(rect.x / step), cols - 2); c <= Math.min(Math.floor(x1 / step), cols - 2); c++) {
      const xa = Math.max(rect.x, c * step);
      const xb = Math.min(x1, cellEnd(c, cols));
      at(xa, ya);
      at(xb, ya);
      at(xa, yb);
      at(xb, yb);
    }
  }
  if (!(minX <= maxX && minY <= maxY)) return null;
  const m = KERNEL_MARGIN[resampling];
  const x0 = Math.max(0, Math.floor(minX - 0.5) - m);
  const y0 = Math.max(0, Math.floor(minY - 0.5) - m);
  const xe = Math.min(src.width, Math.floor(maxX) + 1 + m);
  const ye = Math.min(src.height, Math.floor(maxY) + 1 + m);
  if (xe <= x0 || ye <= y0) return null;
  return { x: x0, y: y0, width: xe - x0, height: ye - y0 };
}

/** A block grid: tiles (or strips, blockWidth = width) of an image. */
export interface BlockGrid {
  width: number;
  height: number;
  blockWidth: number;
  blockHeight: number;
}

/** Indices (row-major, first band plane) of the blocks the windows touch, ascending. */
export function blocksCovering(g: BlockGrid, windows: readonly PixelWindow[]): number[] {
  const across = Math.ceil(g.width / g.blockWidth);
  const set = new Set<number>();
  for (const w of windows) {
    const bx0 = Math.floor(w.x / g.blockWidth);
    const bx1 = Math.floor((w.x + w.width - 1) / g.blockWidth);
    const by0 = Math.floor(w.y / g.blockHeight);
    const by1 = Math.floor((w.y + w.height - 1) / g.blockHeight);
    for (let by = by0; by <= by1; by++) for (let bx = bx0; bx <= bx1; bx++) set.add(by * across + bx);
  }
  return [...set].sort((a, b) => a - b);
}

/** The block rectangles of `indices`, merged along rows into runs (fewer, larger reads). */
export function blockRuns(g: BlockGrid, indices: readonly number[]): PixelWindow[] {
  const across = Math.ceil(g.width / g.blockWidth);
  const runs: PixelWindow[] = [];
  let start = -1;
  let prev = -2;
  const flush = () => {
    if (start < 0) return;
    const by = Math.floor(start / across);
    const bx0 = start % across;
    const bx1 = prev % across;
    const x = bx0 * g.blockWidth;
    const y = by * g.blockHeight;
    runs.push({ x, y, width: Math.min(g.width, (bx1 + 1) * g.blockWidth) - x, height: Math.min(g.height, y + g.blockHeight) - y });
  };
  for (const i of indices) {
    if (i === prev + 1 && Math.floor(i / across) === Math.floor(prev / across)) {
      prev = i;
      continue;
    }
    flush();
    start = prev = i;
  }
  flush();
  return runs;
}

/** A byte range of a file. */
export interface ByteRange {
  offset: number;
  length: number;
}

/** Sort and merge ranges closer than `gap` bytes (one request for neighbouring blocks). */
export function coalesceRanges(ranges: readonly ByteRange[], gap = 0): ByteRange[] {
  const sorted = ranges.filter((r) => r.length > 0).toSorted((a, b) => a.offset - b.offset);
  const out: ByteRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.offset <= last.offset + last.length + gap) {
      last.length = Math.max(last.length, r.offset + r.length - last.offset);
    } else {
      out.push({ offset: r.offset, length: r.length });
    }
  }
  return out;
}

/** What a tile's chips need of one band file: the destination rectangles and the source blocks. */
export interface ChipWindowPlan {
  /** Chip rectangles in the destination window. */
  rects: PixelWindow[];
  /** Source windows the warp reads (one per rect that maps inside the source). */
  sourceWindows: PixelWindow[];
  /** Source blocks (row-major indices of the first plane) covering the source windows. */
  blocks: number[];
}

export function planChipWindows(
  src: BlockGrid,
  window: GridWindow,
  grid: CoordGrid,
  boxes: readonly Box[],
  resampling: Resampling,
): ChipWindowPlan {
  const rects = chipRects(window, boxes);
  const sourceWindows = rects.map((r) => sourceWindowFor(grid, r, src, resampling)).filter((w): w is PixelWindow => w !== null);
  return { rects, sourceWindows, blocks: blocksCovering(src, sourceWindows) };
}

/** Block side of a chips-mode output when its chips are not on one lattice. */
export const CHIP_MODE_BLOCK = 256;

/** How a chips-mode output lays out a tile's chips: its image, where the tile window sits in it, its blocks. */
export interface ChipModeLayout {
  /** The file's georeferenced image: the tile window, grown at its top and left edges when aligned. */
  image: GridWindow;
  /** The tile window's top-left pixel in the image. */
  x: number;
  y: number;
  blockSize: number;
  /** The chips' rectangles in the image. */
  rects: PixelWindow[];
}

/**
 * When the chips are equal squares on one lattice (the published chips: 224 px on a 6720 m lattice from the
 * CDL grid's origin), the image is the tile window grown at its top-left to that lattice and its blocks are
 * the chips' size: each chip is exactly one block, so reading a chip decodes its own pixels and no others.
 * Otherwise the tile window with 256-px blocks. A block side must be a multiple of 16 (TIFF).
 */
export function chipModeLayout(window: GridWindow, rects: readonly PixelWindow[]): ChipModeLayout {
  const s = rects[0]?.width ?? 0;
  const first = rects[0];
  const aligned = first !== undefined && s > 0 && s % 16 === 0 && rects.every((r) => r.width === s && r.height === s && (r.x - first.x) % s === 0 && (r.y - first.y) % s === 0);
  if (!aligned) return { image: window, x: 0, y: 0, blockSize: CHIP_MODE_BLOCK, rects: [...rects] };
  const x = (s - (first.x % s)) % s;
  const y = (s - (first.y % s)) % s;
  const image = { ...window, minX: window.minX - x * window.pixelSize, maxY: window.maxY + y * window.pixelSize, width: window.width + x, height: window.height + y };
  return { image, x, y, blockSize: s, rects: rects.map((r) => ({ ...r, x: r.x + x, y: r.y + y })) };
}
