// The warp kernel: map each destination pixel centre to a source pixel position (exact proj4
// transforms on a coarse grid, bilinearly interpolated with a bounded error), then resample.
// Bilinear follows GDAL's GWKBilinearResample4Sample with a nodata mask: the pixel under the centre
// must be valid, weights of nodata / out-of-image neighbours are dropped and the rest renormalised.
import { crsOf, transformer } from './crs.ts';
import type { Georeferenced } from './crs.ts';
import type { GridWindow } from './grid.ts';
import { DTYPE_INFO } from './types.ts';
import type { DType, GeoTransform, PixelWindow, TypedArray } from './types.ts';

export type Resampling = 'bilinear' | 'nearest';

/** A source band; its CRS as a Crs (user-defined ones too) or an EPSG code. */
export type WarpSource = {
  width: number;
  height: number;
  data: TypedArray;
  dtype: DType;
  geoTransform: GeoTransform;
  nodata: number | null;
} & Georeferenced;

type GeorefSource = { geoTransform: GeoTransform } & Georeferenced;

export interface WarpOptions {
  resampling: Resampling;
  /** Largest allowed error of the interpolated coordinate transform, source pixels (default: defaultMaxError). */
  maxErrorPx?: number;
  /** Output nodata (default: the source's; 0 when it has none). */
  dstNodata?: number;
  /**
   * Warp only these destination rectangles (chip windows); the rest stays nodata. Each pixel gets the
   * value the whole-window warp gives it (same grid, same arithmetic).
   */
  rects?: readonly PixelWindow[];
  /**
   * Write into this array (width x height of the destination) instead of a new one filled with nodata:
   * only the pixels warped are written, the caller has set the rest.
   */
  out?: TypedArray;
  /**
   * With `out`: the array is a larger image in which the destination window sits at (x, y); destination
   * pixel (ix, iy) goes to image pixel (ix + x, iy + y). The window's own grid still places every value.
   */
  outImage?: { width: number; height: number; x: number; y: number };
}

/** Source pixel coordinates of destination pixel centres, sampled every `step` pixels. */
export interface CoordGrid {
  step: number;
  cols: number;
  rows: number;
  /** Source pixel x and y (pixel-edge space) at grid nodes; NaN where the transform failed. */
  sx: Float64Array;
  sy: Float64Array;
  /** Largest error found when checking the interpolation against exact transforms, pixels. */
  maxError: number;
  /** The exact transform (destination pixel position, edge space -> source), for refinements. */
  exact?: (px: number, py: number) => [number, number];
}

/**
 * Default transform error bound (source pixels). The grid search usually lands far below it (about
 * 5e-4 px on an HLS tile at step 64). Nearest needs more: any error flips the chosen pixel when the
 * exact position is that close to a pixel edge (at 0.001 px about 0.05 % of Fmask pixels differ from
 * gdalwarp -et 0), so the nearest kernel recomputes exactly the few positions within twice the
 * measured grid error of a pixel edge.
 */
export function defaultMaxError(_resampling: Resampling): number {
  return 0.05;
}

function invertGeoTransform(gt: GeoTransform): GeoTransform {
  const det = gt[1] * gt[5] - gt[2] * gt[4];
  if (det === 0) throw new Error('source geotransform is not invertible');
  const a = gt[5] / det;
  const b = -gt[2] / det;
  const d = -gt[4] / det;
  const e = gt[1] / det;
  return [-(a * gt[0] + b * gt[3]), a, b, -(d * gt[0] + e * gt[3]), d, e];
}

/** Exact mapping: destination pixel position (edge space) -> source pixel position. */
export function exactPixelTransform(src: GeorefSource, dst: GridWindow): (px: number, py: number) => [number, number] {
  const toSrc = transformer(dst.epsg, crsOf(src));
  const inv = invertGeoTransform(src.geoTransform);
  return (px, py) => {
    const [x, y] = toSrc(dst.minX + px * dst.pixelSize, dst.maxY - py * dst.pixelSize);
    return [inv[0] + x * inv[1] + y * inv[2], inv[3] + x * inv[4] + y * inv[5]];
  };
}

function buildGrid(exact: (px: number, py: number) => [number, number], dst: GridWindow, step: number): CoordGrid {
  const cols = Math.ceil(dst.width / step) + 1;
  const rows = Math.ceil(dst.height / step) + 1;
  const sx = new Float64Array(cols * rows);
  const sy = new Float64Array(cols * rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const [x, y] = exact(c * step + 0.5, r * step + 0.5);
      sx[r * cols + c] = Number.isFinite(x) ? x : NaN;
      sy[r * cols + c] = Number.isFinite(y) ? y : NaN;
    }
  }
  return { step, cols, rows, sx, sy, maxError: 0 };
}

/** Interpolated source position of destination pixel (ix, iy) (integer pixel indices; centre used). */
export function interpolate(g: CoordGrid, ix: number, iy: number): [number, number] {
  const c = Math.min(Math.floor(ix / g.step), g.cols - 2);
  const r = Math.min(Math.floor(iy / g.step), g.rows - 2);
  const fx = (ix - c * g.step) / g.step;
  const fy = (iy - r * g.step) / g.step;
  const i = r * g.cols + c;
  const lerp2 = (a: Float64Array) =>
    (a[i]! * (1 - fx) + a[i + 1]! * fx) * (1 - fy) + (a[i + g.cols]! * (1 - fx) + a[i + g.cols + 1]! * fx) * fy;
  return [lerp2(g.sx), lerp2(g.sy)];
}

/**
 * A coordinate grid whose bilinear interpolation is within `maxErrorPx` of the exact transform:
 * start coarse and halve the step until every cell's centre and edge midpoints check out.
 */
export function coordGrid(src: GeorefSource, dst: GridWindow, maxErrorPx = 0.05): CoordGrid {
  if (!(maxErrorPx > 0)) throw new Error(`maxErrorPx must be positive, got ${maxErrorPx}`);
  const exact = exactPixelTransform(src, dst);
  for (let step = 64; step >= 1; step = Math.floor(step / 2)) {
    const g = buildGrid(exact, dst, step);
    if (step === 1) return { ...g, exact };
    let worst = 0;
    const check = (ix: number, iy: number) => {
      if (ix >= dst.width || iy >= dst.height) return;
      const [ex, ey] = exact(ix + 0.5, iy + 0.5);
      const [ax, ay] = interpolate(g, ix, iy);
      if (!Number.isFinite(ex) || !Number.isFinite(ey)) return;
      const err = Math.hypot(ax - ex, ay - ey);
      worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
    };
    const half = Math.floor(step / 2);
    for (let r = 0; r < g.rows - 1 && worst <= maxErrorPx; r++) {
      for (let c = 0; c < g.cols - 1 && worst <= maxErrorPx; c++) {
        const x0 = c * step;
        const y0 = r * step;
        check(x0 + half, y0 + half);
        check(x0 + half, y0);
        check(x0, y0 + half);
      }
    }
    if (worst <= maxErrorPx) {
      g.maxError = worst;
      g.exact = exact;
      return g;
    }
  }
  throw new Error('unreachable');
}

function typeRange(dtype: DType): [number, number] {
  switch (dtype) {
    case 'uint8':
      return [0, 255];
    case 'int8':
      return [-128, 127];
    case 'uint16':
      return [0, 65535];
    case 'int16':
      return [-32768, 32767];
    case 'uint32':
      return [0, 4294967295];
    case 'int32':
      return [-2147483648, 2147483647];
    default:
      return [-Infinity, Infinity];
  }
}

/** Warp one band onto a destination window. Pixels with no valid source are `dstNodata`. */
export function warpBand(src: WarpSource, dst: GridWindow, options: WarpOptions): TypedArray {
  const grid = coordGrid(src, dst, options.maxErrorPx ?? defaultMaxError(options.resampling));
  return warpWithGrid(src, dst, grid, options);
}

export function warpWithGrid(src: WarpSource, dst: GridWindow, grid: CoordGrid, options: WarpOptions): TypedArray {
  const info = DTYPE_INFO[src.dtype];
  const nd = src.nodata;
  const dstNd = options.dstNodata ?? nd ?? 0;
  let out: TypedArray;
  const image = options.outImage ?? { width: dst.width, height: dst.height, x: 0, y: 0 };
  // What is written must fit: the rectangles' parts in the window (an image may hold only some rows of it), or the window.
  const fits = (r: PixelWindow): boolean => {
    const [x0, y0] = [Math.max(0, r.x), Math.max(0, r.y)];
    const [x1, y1] = [Math.min(dst.width, r.x + r.width), Math.min(dst.height, r.y + r.height)];
    return x1 <= x0 || y1 <= y0 || (image.x + x0 >= 0 && image.y + y0 >= 0 && image.x + x1 <= image.width && image.y + y1 <= image.height);
  };
  if (!(options.rects ?? [{ x: 0, y: 0, width: dst.width, height: dst.height }]).every(fits)) throw new Error('warp: the window does not fit in the output image');
  if (options.out) {
    if (options.out.length !== image.width * image.height || !(options.out instanceof info.ctor)) throw new Error(`warp: the output array is not ${image.width} x ${image.height} ${src.dtype}`);
    out = options.out;
  } else {
    out = new info.ctor(image.width * image.height);
    out.fill(dstNd);
  }
  const isInt = info.sampleFormat !== 3;
  const [lo, hi] = typeRange(src.dtype);
  // Source value that marks nodata; NaN never equals itself, so a NaN nodata is checked with isNaN.
  const hasNd = nd !== null;
  const ndIsNaN = hasNd && Number.isNaN(nd);
  const ndv = hasNd ? nd : 0;
  const s = src.data;
  const W = src.width;
  const H = src.height;
  const { step, cols } = grid;
  const gsx = grid.sx;
  const gsy = grid.sy;
  const rowSx = new Float64Array(cols);
  const rowSy = new Float64Array(cols);
  const bilinear = options.resampling === 'bilinear';
  // partial()'s answer: read from a Float64Array, a value stays an unboxed double in the optimized loop
  // (a call's result merged with the inline one made V8 box every pixel's value: 16 bytes of garbage each).
  const slow = new Float64Array(1);
  // Nearest: positions this close to a pixel edge may pick the wrong pixel from the interpolated
  // transform; they are recomputed exactly (a fraction of a percent of pixels).
  const refine = !bilinear && grid.exact && grid.step > 1 ? grid.exact : null;
  const margin = 2 * grid.maxError + 1e-9;
  // Per row, the [from, to) spans to compute: the whole row, or the rectangles crossing it.
  const whole = [0, dst.width];
  const spansOf = options.rects ? rowSpans(options.rects, dst) : null;

  for (let iy = 0; iy < dst.height; iy++) {
    const spans = spansOf ? spansOf[iy]! : whole;
    if (spans.length === 0) continue;
    // Grid values interpolated to this row, then linear along the row between grid columns.
    const r = Math.min(Math.floor(iy / step), grid.rows - 2);
    const fy = (iy - r * step) / step;
    for (let c = 0; c < cols; c++) {
      const a = r * cols + c;
      rowSx[c] = gsx[a]! * (1 - fy) + gsx[a + cols]! * fy;
      rowSy[c] = gsy[a]! * (1 - fy) + gsy[a + cols]! * fy;
    }
    const outRow = (iy + image.y) * image.width + image.x;
    for (let c = 0; c < cols - 1; c++) {
      const xStart = c * step;
      if (xStart >= dst.width) break;
      const xEnd = Math.min(xStart + step, dst.width);
      const sx0 = rowSx[c]!;
      const sy0 = rowSy[c]!;
      const dsx = (rowSx[c + 1]! - sx0) / step;
      const dsy = (rowSy[c + 1]! - sy0) / step;
      for (let q = 0; q < spans.length; q += 2) {
        const from = Math.max(xStart, spans[q]!);
        const to = Math.min(xEnd, spans[q + 1]!);
        if (from >= to) continue;
        if (!bilinear) {
          for (let ix = from; ix < to; ix++) {
            const k = ix - xStart;
            let sx = sx0 + k * dsx;
            let sy = sy0 + k * dsy;
            if (refine !== null) {
              const fx = sx - Math.floor(sx);
              const fy = sy - Math.floor(sy);
              if (fx < margin || fx > 1 - margin || fy < margin || fy > 1 - margin) [sx, sy] = refine(ix + 0.5, iy + 0.5);
            }
            if (!(sx >= 0 && sy >= 0 && sx < W && sy < H)) continue;
            const centre = s[(sy | 0) * W + (sx | 0)]!;
            if (hasNd && (centre === ndv || (ndIsNaN && Number.isNaN(centre)))) continue;
            out[outRow + ix] = centre;
          }
          continue;
        }
        if (hasNd && !ndIsNaN) {
          // The common case (integer reflectance with a nodata value), kept free of other branches.
          for (let ix = from; ix < to; ix++) {
            const k = ix - xStart;
            const sx = sx0 + k * dsx;
            const sy = sy0 + k * dsy;
            if (!(sx >= 0 && sy >= 0 && sx < W && sy < H)) continue;
            if (s[(sy | 0) * W + (sx | 0)] === ndv) continue;
            // floor(s - 0.5) for s >= 0; weights written as GDAL does, so rounding ties go the same way.
            const x0 = ((sx + 0.5) | 0) - 1;
            const y0 = ((sy + 0.5) | 0) - 1;
            const rx = 1.5 - (sx - x0);
            const ry = 1.5 - (sy - y0);
            let value: number;
            if (x0 >= 0 && y0 >= 0 && x0 + 1 < W && y0 + 1 < H) {
              const i = y0 * W + x0;
              const v00 = s[i]!;
              const v10 = s[i + 1]!;
              const v01 = s[i + W]!;
              const v11 = s[i + W + 1]!;
              if (v00 !== ndv && v10 !== ndv && v01 !== ndv && v11 !== ndv) {
                const m1 = rx * ry;
                const m2 = (1 - rx) * ry;
                const m3 = rx * (1 - ry);
                const m4 = (1 - rx) * (1 - ry);
                const acc = v00 * m1 + v10 * m2 + v01 * m3 + v11 * m4;
                const div = m1 + m2 + m3 + m4;
                value = div === 1 ? acc : acc / div;
              } else {
                partial(s, W, H, x0, y0, rx, ry, ndv, false, slow);
                value = slow[0]!;
              }
            } else {
              partial(s, W, H, x0, y0, rx, ry, ndv, false, slow);
                value = slow[0]!;
            }
            if (value !== value) continue; // NaN: no valid neighbour
            if (isInt) {
              value = Math.floor(value + 0.5);
              if (value < lo) value = lo;
              else if (value > hi) value = hi;
              // A valid result must not read as nodata (GDAL nudges it the same way).
              if (value === dstNd) value = dstNd + 1 <= hi ? dstNd + 1 : dstNd - 1;
            }
            out[outRow + ix] = value;
          }
          continue;
        }
        for (let ix = from; ix < to; ix++) {
          const k = ix - xStart;
          const sx = sx0 + k * dsx;
          const sy = sy0 + k * dsy;
          // Also rejects NaN.
          if (!(sx >= 0 && sy >= 0 && sx < W && sy < H)) continue;
          const cx = sx | 0;
          const cy = sy | 0;
          const centre = s[cy * W + cx]!;
          if (hasNd && (centre === ndv || (ndIsNaN && Number.isNaN(centre)))) continue;
          const x0 = Math.floor(sx - 0.5);
          const y0 = Math.floor(sy - 0.5);
          partial(s, W, H, x0, y0, 1.5 - (sx - x0), 1.5 - (sy - y0), hasNd ? ndv : NaN, ndIsNaN, slow);
          let value = slow[0]!;
          if (Number.isNaN(value)) continue;
          if (isInt) {
            value = Math.floor(value + 0.5);
            if (value < lo) value = lo;
            else if (value > hi) value = hi;
            if (hasNd && value === dstNd) value = dstNd + 1 <= hi ? dstNd + 1 : dstNd - 1;
          }
          out[outRow + ix] = value;
        }
      }
    }
  }
  return out;
}

/** Per destination row, the sorted, merged [from, to) column spans the rectangles cover. */
function rowSpans(rects: readonly PixelWindow[], dst: GridWindow): number[][] {
  const rows: Array<Array<[number, number]>> = Array.from({ length: dst.height }, () => []);
  for (const r of rects) {
    const x0 = Math.max(0, r.x);
    const x1 = Math.min(dst.width, r.x + r.width);
    if (x1 <= x0) continue;
    for (let y = Math.max(0, r.y); y < Math.min(dst.height, r.y + r.height); y++) rows[y]!.push([x0, x1]);
  }
  return rows.map((list) => {
    list.sort((a, b) => a[0] - b[0]);
    const flat: number[] = [];
    for (const [a, b] of list) {
      if (flat.length > 0 && a <= flat[flat.length - 1]!) flat[flat.length - 1] = Math.max(flat[flat.length - 1]!, b);
      else flat.push(a, b);
    }
    return flat;
  });
}

/**
 * Bilinear over the valid, in-image neighbours only, weights renormalised; NaN when none is valid.
 * rx, ry: weights of the left column / top row (GDAL's dfRatioX / dfRatioY); order UL, UR, LL, LR.
 */
function partial(s: TypedArray, W: number, H: number, x0: number, y0: number, rx: number, ry: number, ndv: number, ndIsNaN: boolean, out: Float64Array): void {
  let acc = 0;
  let wsum = 0;
  for (let dy = 0; dy < 2; dy++) {
    const y = y0 + dy;
    if (y < 0 || y >= H) continue;
    const wy = dy === 0 ? ry : 1 - ry;
    for (let dx = 0; dx < 2; dx++) {
      const x = x0 + dx;
      if (x < 0 || x >= W) continue;
      const v = s[y * W + x]!;
      if (v === ndv || (ndIsNaN && Number.isNaN(v))) continue;
      const w = (dx === 0 ? rx : 1 - rx) * wy;
      acc += v * w;
      wsum += w;
    }
  }
  out[0] = wsum < 0.00001 ? NaN : wsum === 1 ? acc : acc / wsum;
}
