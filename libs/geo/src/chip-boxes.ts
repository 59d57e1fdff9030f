// Chip boxes from the CDL (the original's create_bb): lay 224 x 224 px chips on the lattice from the
// CDL grid origin over an AOI, drop chips holding CDL 0, count classes after the reclass table, weight
// each chip by how even its class mix is (1 - (max - min) / sum; 0 under 8 classes), draw a seeded
// weighted sample and keep the N chips drawn most often. The CDL is read strip by strip through a
// caller-supplied window reader, never whole.
import { CDL_GRID, CHIP, type AreaGeometry, type BBox, type ChipId } from '@hls/contracts';
import { ChipIdSchema } from '@hls/contracts';
import { boxCenter, chipBoxAt } from './cdl-grid.ts';
import type { ChipRecord } from './chip-payload.ts';
import { EPSG_CDL, EPSG_WGS84, transformer } from './crs.ts';
import { seededRandom } from '@hls/common';

/** Below this many classes present a chip's weight drops by 1 (to 0), as in the original. */
export const MIN_CLASSES = 8;

/** A CDL raster on the CDL grid: size, geotransform and a window reader (one band). */
export interface CdlSource {
  source: string;
  width: number;
  height: number;
  geoTransform: readonly [number, number, number, number, number, number];
  epsg: number;
  read(window: { x: number; y: number; width: number; height: number }): Promise<ArrayLike<number>>;
}

export interface ChipCandidate {
  id: ChipId;
  row: number;
  col: number;
  bbox5070: BBox;
  /** Pixel counts per reclassed class 1..nClasses (index 0 unused). */
  counts: Float64Array;
  weight: number;
}

/** The AOI's bounding box in EPSG:5070 (all vertices transformed, like the original's to_crs().total_bounds). */
export function aoiBbox5070(aoi: readonly AreaGeometry[]): BBox {
  const t = transformer(EPSG_WGS84, EPSG_CDL);
  let b: BBox = [Infinity, Infinity, -Infinity, -Infinity];
  for (const g of aoi) {
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
    for (const p of polys)
      for (const ring of p)
        for (const q of ring) {
          const [x, y] = t([q[0], q[1]]);
          b = [Math.min(b[0], x), Math.min(b[1], y), Math.max(b[2], x), Math.max(b[3], y)];
        }
  }
  return b;
}

/** Weight of a chip from its class counts (1..n): 1 - (max - min) / sum, minus 1 under MIN_CLASSES classes, floored at 0. */
export function chipWeight(counts: ArrayLike<number>): number {
  let max = -Infinity;
  let min = Infinity;
  let sum = 0;
  let nonzero = 0;
  for (let i = 1; i < counts.length; i++) {
    const c = counts[i] as number;
    if (c > max) max = c;
    if (c < min) min = c;
    sum += c;
    if (c !== 0) nonzero++;
  }
  if (sum === 0) return 0;
  let w = 1 - (max - min) / sum;
  if (nonzero < MIN_CLASSES) w -= 1;
  return w < 0 ? 0 : w;
}

const pad3 = (n: number) => String(n).padStart(3, '0');

/**
 * Every lattice chip that lies wholly inside both the AOI box and the raster, without CDL 0, with its
 * reclassed class counts and weight. `reclass[code]` is the new class (1..n) or -1 (code not counted).
 */
export async function chipCandidates(src: CdlSource, aoiBox: BBox, reclass: ArrayLike<number>): Promise<{ candidates: ChipCandidate[]; nClasses: number }> {
  const [gx, pw, , gy, , ph] = src.geoTransform;
  if (src.epsg !== CDL_GRID.epsg || pw !== CDL_GRID.pixelSize || ph !== -CDL_GRID.pixelSize) {
    throw new Error(`${src.source}: not on the CDL grid (EPSG:${src.epsg}, pixel ${pw} x ${-ph}); expected EPSG:${CDL_GRID.epsg} at ${CDL_GRID.pixelSize} m`);
  }
  const offX = (gx - CDL_GRID.x0) / CDL_GRID.pixelSize;
  const offY = (CDL_GRID.y0 - gy) / CDL_GRID.pixelSize;
  if (!Number.isInteger(offX) || !Number.isInteger(offY)) throw new Error(`${src.source}: origin (${gx}, ${gy}) is not on the CDL grid's pixel edges`);
  let nClasses = 0;
  for (let i = 0; i < reclass.length; i++) nClasses = Math.max(nClasses, reclass[i] as number);
  const S = CHIP.sizeMetres;
  // Lattice cells wholly inside the AOI box and the raster.
  const rasterBox: BBox = [gx, gy - src.height * CDL_GRID.pixelSize, gx + src.width * CDL_GRID.pixelSize, gy];
  const lo: BBox = [Math.max(aoiBox[0], rasterBox[0]), Math.max(aoiBox[1], rasterBox[1]), Math.min(aoiBox[2], rasterBox[2]), Math.min(aoiBox[3], rasterBox[3])];
  const col0 = Math.ceil((lo[0] - CDL_GRID.x0) / S);
  const col1 = Math.floor((lo[2] - CDL_GRID.x0) / S) - 1;
  const row0 = Math.ceil((CDL_GRID.y0 - lo[3]) / S);
  const row1 = Math.floor((CDL_GRID.y0 - lo[1]) / S) - 1;
  const candidates: ChipCandidate[] = [];
  const P = CHIP.pixels;
  for (let row = row0; row <= row1; row++) {
    if (col1 < col0) break;
    // One strip of chip rows per read: CONUS-wide that is 224 x 153,811 px, never the whole raster.
    const x = col0 * P - offX;
    const y = row * P - offY;
    const width = (col1 - col0 + 1) * P;
    const strip = await src.read({ x, y, width, height: P });
    for (let col = col0; col <= col1; col++) {
      const hist = new Float64Array(256);
      let hasZero = false;
      const cx = (col - col0) * P;
      for (let r = 0; r < P && !hasZero; r++) {
        const base = r * width + cx;
        for (let c = 0; c < P; c++) {
          const v = strip[base + c] as number;
          if (v === 0) {
            hasZero = true;
            break;
          }
          hist[v & 255] = (hist[v & 255] as number) + 1;
        }
      }
      if (hasZero) continue;
      const counts = new Float64Array(nClasses + 1);
      for (let v = 0; v < 256; v++) {
        const k = reclass[v] as number;
        if (k >= 1 && hist[v]) counts[k] = (counts[k] as number) + (hist[v] as number);
      }
      const id = ChipIdSchema.parse(`chip_${pad3(row)}_${pad3(col)}`);
      candidates.push({ id, row, col, bbox5070: chipBoxAt(row, col), counts, weight: chipWeight(counts) });
    }
  }
  return { candidates, nClasses };
}

export { seededRandom };

/**
 * Draw `draws` chips with replacement, probability proportional to weight, and keep the `n` drawn most
 * often (ties: candidate order). Chips of weight 0 are never drawn.
 */
export function sampleChips(cands: readonly ChipCandidate[], n: number, seed: number, draws = 1_000_000): ChipCandidate[] {
  const cum = new Float64Array(cands.length);
  let total = 0;
  cands.forEach((c, i) => {
    total += c.weight;
    cum[i] = total;
  });
  if (total === 0) return [];
  const hits = new Float64Array(cands.length);
  const rand = seededRandom(seed);
  for (let d = 0; d < draws; d++) {
    const u = rand() * total;
    let lo = 0;
    let hi = cands.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cum[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    hits[lo] = (hits[lo] as number) + 1;
  }
  return cands
    .map((c, i) => ({ c, i, h: hits[i] as number }))
    .filter((x) => x.h > 0)
    .sort((a, b) => b.h - a.h || a.i - b.i)
    .slice(0, n)
    .map((x) => x.c);
}

/**
 * Class weights of the selected chips: (1 / share) normalised to sum 1, per class 1..n. A class with no
 * pixels gets weight 0 (the original would divide by zero).
 */
export function classWeights(selected: readonly ChipCandidate[], nClasses: number): number[] {
  const tot = new Float64Array(nClasses + 1);
  for (const c of selected) for (let k = 1; k <= nClasses; k++) tot[k] = (tot[k] as number) + (c.counts[k] as number);
  const all = tot.reduce((s, v) => s + v, 0);
  const inv = Array.from({ length: nClasses }, (_, i) => ((tot[i + 1] as number) > 0 ? all / (tot[i + 1] as number) : 0));
  const s = inv.reduce((a, b) => a + b, 0);
  return inv.map((v) => (s > 0 ? v / s : 0));
}

/** class_weights CSV in the layout pandas' Series.to_csv wrote it: header `,0`, then `class,weight`. */
export function classWeightsCsv(weights: readonly number[]): string {
  return [',0', ...weights.map((w, i) => `${i + 1},${w}`)].join('\n') + '\n';
}

/** A chip record from a lattice box: lon/lat corners (6 decimals, like the shipped payload) and centre. */
export function chipRecordFromBox(id: ChipId, bbox: BBox): ChipRecord {
  const t = transformer(EPSG_CDL, EPSG_WGS84);
  const r6 = (v: number) => Math.round(v * 1e6) / 1e6;
  const ring = [
    [bbox[0], bbox[3]],
    [bbox[0], bbox[1]],
    [bbox[2], bbox[1]],
    [bbox[2], bbox[3]],
    [bbox[0], bbox[3]],
  ].map((p) => {
    const q = t(p as [number, number]);
    return [r6(q[0]), r6(q[1])] as [number, number];
  });
  return { id, center: t(boxCenter(bbox)), bbox5070: bbox, center5070: boxCenter(bbox), geometry: { type: 'MultiPolygon', coordinates: [[ring]] } };
}
