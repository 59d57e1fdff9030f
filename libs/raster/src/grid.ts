// Destination windows on the CDL grid (EPSG:5070, 30 m, edges at x0 + 30k, y0 - 30k).
import { CDL_GRID } from '@hls/contracts/domain';
import { crsOf, describeCrs, transformer } from './crs.ts';
import type { Georeferenced } from './crs.ts';
import type { GeoTransform } from './types.ts';

/** A north-up window of a grid: top-left corner, size in pixels, pixel size, CRS. */
export interface GridWindow {
  epsg: number;
  /** Left edge (x) and top edge (y) of the window, CRS units. */
  minX: number;
  maxY: number;
  width: number;
  height: number;
  pixelSize: number;
}

export type ExtentMode = 'footprint' | 'padded';

export function windowGeoTransform(w: GridWindow): GeoTransform {
  return [w.minX, w.pixelSize, 0, w.maxY, 0, -w.pixelSize];
}

/** [minX, minY, maxX, maxY] of a window. */
export function windowBounds(w: GridWindow): [number, number, number, number] {
  return [w.minX, w.maxY - w.height * w.pixelSize, w.minX + w.width * w.pixelSize, w.maxY];
}

/** Snap a bounding box outward to the CDL grid's pixel edges. */
export function snapToCdlGrid(minX: number, minY: number, maxX: number, maxY: number): GridWindow {
  const { x0, y0, pixelSize: p, epsg } = CDL_GRID;
  // A tiny tolerance keeps an edge that is already on the grid from growing by a pixel through rounding noise.
  const eps = 1e-6;
  const c0 = Math.floor((minX - x0) / p + eps);
  const c1 = Math.ceil((maxX - x0) / p - eps);
  const r0 = Math.floor((y0 - maxY) / p + eps);
  const r1 = Math.ceil((y0 - minY) / p - eps);
  return { epsg, minX: x0 + c0 * p, maxY: y0 - r0 * p, width: c1 - c0, height: r1 - r0, pixelSize: p };
}

/**
 * The CDL-grid window covering a source raster: its footprint (outline densified, transformed to
 * EPSG:5070) snapped outward. 'padded' first grows the source extent by half its size on every side,
 * as the original pipeline's reprojection extent did.
 */
export function cdlWindowFor(src: { width: number; height: number; geoTransform: GeoTransform } & Georeferenced, extent: ExtentMode = 'footprint'): GridWindow {
  const gt = src.geoTransform;
  const pad = extent === 'padded' ? 0.5 : 0;
  const c0 = -pad * src.width;
  const c1 = src.width * (1 + pad);
  const r0 = -pad * src.height;
  const r1 = src.height * (1 + pad);
  const crs = crsOf(src);
  const fwd = transformer(crs, CDL_GRID.epsg);
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const steps = 64;
  const visit = (c: number, r: number) => {
    const [x, y] = fwd(gt[0] + c * gt[1] + r * gt[2], gt[3] + c * gt[4] + r * gt[5]);
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  };
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    visit(c0 + t * (c1 - c0), r0);
    visit(c0 + t * (c1 - c0), r1);
    visit(c0, r0 + t * (r1 - r0));
    visit(c1, r0 + t * (r1 - r0));
  }
  if (!Number.isFinite(minX)) throw new Error(`the raster's footprint cannot be transformed from ${describeCrs(crs)} to EPSG:${CDL_GRID.epsg}`);
  return snapToCdlGrid(minX, minY, maxX, maxY);
}
