// Clip one chip (generate_training_chips.py process_chip): its 224 x 224 box on the CDL grid out of the
// reprojected bands of the tile's 3 scenes (date order), the Fmask bands and the CDL source, then QA.
// Writes chips/<chip>_merged.tif (18 x Int16), chips_fmask/<chip>_Fmask.tif (3 x UInt8) and
// chips/<chip>.mask.tif (UInt8 classes with a colour map and class names, nodata 0), with the band descriptions, scale/offset
// and acquisition dates training code reads (chip-metadata.ts). Outputs are written atomically by @hls/raster.
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CDL_GRID,
  CHIP,
  FMASK_BAND,
  HLS,
  REFLECTANCE_BANDS,
  SCENES_PER_TILE,
  fmaskChipPath,
  maskChipPath,
  mergedChipPath,
  reprojectedBandPath,
  type BBox,
  type ChipId,
  type GranuleId,
  type QaFigures,
} from '@hls/contracts';
import { DTYPE_INFO, openRaster, sha256File, writeGeoTiff, type GeoTransform, type OpenRaster, type TypedArray } from '@hls/raster';
import { fmaskChipMetadata, maskChipMetadata, mergedChipMetadata } from './chip-metadata.ts';
import { classPalette } from './colormap.ts';
import { chipQaFigures, clipNegativesInPlace } from './qa.ts';
import { quicklookPaths, writeQuicklooks } from './quicklook.ts';
import { reclassCdl, type ReclassTable } from './reclass.ts';
import { writeTextAtomic } from './track-chips.ts';

const EPS = 1e-6;
/** Tile side of the merged chip: 224 px chips get 2 x 2 tiles and one 112 px overview. */
export const MERGED_CHIP_BLOCK = 128;
const PX = CDL_GRID.pixelSize;

export interface ChipBoxOk {
  ok: true;
  /** Column / row of the chip's top-left pixel in the global CDL grid. */
  col: number;
  row: number;
  geoTransform: GeoTransform;
}
export type ChipBoxCheck = ChipBoxOk | { ok: false; detail: string };

const isWhole = (v: number) => Math.abs(v - Math.round(v)) < EPS;

/** A chip box must be exactly 224 x 224 px with its edges on the CDL grid. */
export function checkChipBox(bbox: BBox): ChipBoxCheck {
  const [minX, minY, maxX, maxY] = bbox;
  const w = (maxX - minX) / PX;
  const h = (maxY - minY) / PX;
  if (!isWhole(w) || !isWhole(h) || Math.round(w) !== CHIP.pixels || Math.round(h) !== CHIP.pixels) {
    return { ok: false, detail: `box ${JSON.stringify(bbox)} is ${w.toFixed(3)} x ${h.toFixed(3)} px, a chip is ${CHIP.pixels} x ${CHIP.pixels} px of ${PX} m` };
  }
  const col = (minX - CDL_GRID.x0) / PX;
  const row = (CDL_GRID.y0 - maxY) / PX;
  if (!isWhole(col) || !isWhole(row)) {
    return { ok: false, detail: `box ${JSON.stringify(bbox)} is off the CDL grid (edges must be at x = ${CDL_GRID.x0} + ${PX}k, y = ${CDL_GRID.y0} - ${PX}k)` };
  }
  return { ok: true, col: Math.round(col), row: Math.round(row), geoTransform: [CDL_GRID.x0 + Math.round(col) * PX, PX, 0, CDL_GRID.y0 - Math.round(row) * PX, 0, -PX] };
}

/** Opens each raster once and keeps it open (a tile's chips read the same 21 files). */
export class RasterCache {
  private readonly open = new Map<string, Promise<OpenRaster>>();

  get(source: string): Promise<OpenRaster> {
    let p = this.open.get(source);
    if (!p) {
      p = openRaster(source);
      // A failed open is not cached: the next chip retries it.
      p.catch(() => this.open.delete(source));
      this.open.set(source, p);
    }
    return p;
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    for (const p of all) {
      try {
        await (await p).close();
      } catch {
        // already reported by whoever awaited the open
      }
    }
  }
}

/**
 * Read the chip's 224 x 224 window of band 0 of `r`, which must be on the CDL grid (EPSG:5070, 30 m,
 * pixel edges on the grid). Pixels outside the raster get `fill` (the nodata of that band).
 */
export async function readChipWindow(r: OpenRaster, box: ChipBoxOk, fill: number): Promise<TypedArray> {
  const [gx, sx, rx, gy, ry, sy] = r.geoTransform;
  if (r.epsg !== CDL_GRID.epsg || Math.abs(sx - PX) > EPS || Math.abs(sy + PX) > EPS || rx !== 0 || ry !== 0) {
    throw new Error(`${r.source}: not on the CDL grid (EPSG:${r.epsg}, pixel ${sx} x ${sy}); expected EPSG:${CDL_GRID.epsg} ${PX} m north-up`);
  }
  const c0 = (box.geoTransform[0] - gx) / PX;
  const r0 = (gy - box.geoTransform[3]) / PX;
  if (!isWhole(c0) || !isWhole(r0)) throw new Error(`${r.source}: pixel edges are not on the CDL grid (origin ${gx}, ${gy})`);
  const col = Math.round(c0);
  const row = Math.round(r0);
  const n = CHIP.pixels;
  const x0 = Math.max(0, col);
  const y0 = Math.max(0, row);
  const x1 = Math.min(r.width, col + n);
  const y1 = Math.min(r.height, row + n);
  if (x0 === col && y0 === row && x1 === col + n && y1 === row + n) {
    // Held to the chip's window whatever the file's size (the CDL is national).
    const full = await r.read({ window: { x: col, y: row, width: n, height: n }, bands: [0], maxPixels: n * n });
    return full.bands[0]!;
  }
  // Partly (or not at all) inside: fill, then paste what overlaps.
  const out = new DTYPE_INFO[r.dtype].ctor(n * n);
  out.fill(fill);
  if (x1 > x0 && y1 > y0) {
    const part = (await r.read({ window: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, bands: [0], maxPixels: n * n })).bands[0]!;
    const pw = x1 - x0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) out[(y - row) * n + (x - col)] = part[(y - y0) * pw + (x - x0)]!;
    }
  }
  return out;
}

export interface SceneRef {
  granuleId: GranuleId | string;
  date: string;
}

export interface ClipChipInput {
  chipId: ChipId | string;
  bbox5070: BBox;
  /** The tile's 3 scenes; they are put in date order here. */
  scenes: readonly SceneRef[];
}

export interface ClipChipOptions {
  datasetDir: string;
  /** CDL GeoTIFF on the CDL grid: a local path or an http(s) COG; only the chip's window is read. */
  cdlSource: string;
  reclass: ReclassTable;
  cache?: RasterCache;
  /** Reuse a previous clip of the same box and scenes when its outputs and QA record are all there. */
  reuse?: boolean;
  /** Also write the chip's quick-look PNGs (chips_quicklook/). */
  quicklooks?: boolean;
}

export interface ClippedChip {
  ok: true;
  /** True when a previous clip of the same inputs was reused (nothing was read or written). */
  reused?: boolean;
  qa: QaFigures;
  /** Paths relative to the dataset dir. */
  files: { merged: string; mask: string; fmask: string };
  scenes: SceneRef[];
}
export type ClipChipResult = ClippedChip | { ok: false; reason: 'bad-box'; detail: string };

const asInt16 = (a: TypedArray, source: string): Int16Array => {
  if (!(a instanceof Int16Array)) throw new Error(`${source}: reflectance must be Int16, got ${a.constructor.name}`);
  return a;
};
const asUint8 = (a: TypedArray, source: string): Uint8Array => {
  if (!(a instanceof Uint8Array)) throw new Error(`${source}: Fmask must be UInt8, got ${a.constructor.name}`);
  return a;
};

/**
 * Written after the three chip files: its presence (with matching inputs, and files that still hash to
 * what it says) marks a complete clip.
 */
export const CLIP_RECORDS_DIR = '.chip_qa';
export interface ClipRecord {
  bbox5070: BBox;
  scenes: SceneRef[];
  cdlSource: string;
  qa: QaFigures;
  files: ClippedChip['files'];
  /** SHA-256 (hex) of each file as written: a file corrupted in place is not reused. */
  sha256?: ClippedChip['files'];
}
const clipRecordPath = (datasetDir: string, chipId: string) => join(datasetDir, CLIP_RECORDS_DIR, `${chipId}.json`);

/** The chip's clip record, or null when there is none (or it is unreadable). */
export async function readClipRecord(datasetDir: string, chipId: string): Promise<ClipRecord | null> {
  try {
    return JSON.parse(await readFile(clipRecordPath(datasetDir, chipId), 'utf8')) as ClipRecord;
  } catch {
    return null;
  }
}

const allQuicklooks = (chipId: string): string[] => {
  const p = quicklookPaths(chipId);
  return [...p.dates, p.mask];
};
const fileExists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** True when the file hashes to `sha256` (false when it is missing or unreadable). */
export async function fileMatches(path: string, sha256: string | undefined): Promise<boolean> {
  if (!sha256) return false;
  try {
    return (await sha256File(path)) === sha256;
  } catch {
    return false;
  }
}

async function reusableClip(datasetDir: string, chipId: string, want: Omit<ClipRecord, 'qa' | 'files'>): Promise<ClipRecord | null> {
  const rec = await readClipRecord(datasetDir, chipId);
  if (!rec) return null;
  const same = JSON.stringify([rec.bbox5070, rec.scenes, rec.cdlSource]) === JSON.stringify([want.bbox5070, want.scenes, want.cdlSource]);
  if (!same) return null;
  for (const k of ['merged', 'mask', 'fmask'] as const) {
    if (!(await fileMatches(join(datasetDir, rec.files[k]), rec.sha256?.[k]))) return null;
  }
  return rec;
}

export async function clipChip(input: ClipChipInput, o: ClipChipOptions): Promise<ClipChipResult> {
  const box = checkChipBox(input.bbox5070);
  if (!box.ok) return { ok: false, reason: 'bad-box', detail: `${input.chipId}: ${box.detail}` };
  if (input.scenes.length !== SCENES_PER_TILE) throw new Error(`${input.chipId}: needs ${SCENES_PER_TILE} scenes, got ${input.scenes.length}`);
  const scenes = [...input.scenes]
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))
    .map((s) => ({ granuleId: s.granuleId, date: s.date }));
  const want = { bbox5070: [...input.bbox5070] as BBox, scenes, cdlSource: o.cdlSource };
  if (o.reuse) {
    const prev = await reusableClip(o.datasetDir, input.chipId, want);
    const looks = !o.quicklooks || (await Promise.all(allQuicklooks(input.chipId).map((f) => fileExists(join(o.datasetDir, f))))).every(Boolean);
    if (prev && looks) return { ok: true, reused: true, qa: prev.qa, files: prev.files, scenes };
  }
  const cache = o.cache ?? new RasterCache();
  try {
    // The 22 windows are read at once (their blocks inflate on libuv's pool, the other core, together). All
    // settle before an error is thrown, the first in band order: no read outlives the clip's files.
    const bandSources = scenes.flatMap((s) => REFLECTANCE_BANDS.map((band) => join(o.datasetDir, reprojectedBandPath(s.granuleId as GranuleId, band))));
    const fmaskSources = scenes.map((s) => join(o.datasetDir, reprojectedBandPath(s.granuleId as GranuleId, FMASK_BAND)));
    const reads = [
      ...bandSources.map((src) => [src, HLS.reflectanceNodata] as const),
      ...fmaskSources.map((src) => [src, HLS.fmaskNodata] as const),
      [o.cdlSource, 0] as const,
    ].map(async ([src, fill]) => readChipWindow(await cache.get(src), box, fill));
    const windows = (await Promise.allSettled(reads)).map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
    const bands = bandSources.map((src, i) => asInt16(windows[i]!, src));
    const fmask = fmaskSources.map((src, i) => asUint8(windows[bandSources.length + i]!, src));
    const cdl = windows[windows.length - 1]!;
    const { mask, unmapped } = reclassCdl(cdl, o.reclass);

    const qa = chipQaFigures(fmask, bands, unmapped);
    clipNegativesInPlace(bands);

    const chip = input.chipId as ChipId;
    const files = { merged: mergedChipPath(chip), mask: maskChipPath(chip), fmask: fmaskChipPath(chip) };
    const common = { width: CHIP.pixels, height: CHIP.pixels, geoTransform: box.geoTransform, epsg: CDL_GRID.epsg, tiled: false };
    // The merged chip as a small COG (internal tiles and one overview), so GIS tools open it fast.
    const cog = { tiled: true, blockSize: MERGED_CHIP_BLOCK, overviews: true, cog: true };
    // Each write gives the SHA-256 of the bytes it wrote, for the record.
    const merged = await writeGeoTiff(join(o.datasetDir, files.merged), { ...common, ...cog, bands, nodata: HLS.reflectanceNodata, gdalMetadata: mergedChipMetadata(scenes) });
    const fmaskFile = await writeGeoTiff(join(o.datasetDir, files.fmask), { ...common, bands: fmask, nodata: HLS.fmaskNodata, gdalMetadata: fmaskChipMetadata(scenes) });
    // Class 0 of the mask is "no data".
    const maskFile = await writeGeoTiff(join(o.datasetDir, files.mask), { ...common, bands: [mask], nodata: 0, colorMap: classPalette(), gdalMetadata: maskChipMetadata() });
    if (o.quicklooks) await writeQuicklooks(o.datasetDir, input.chipId, CHIP.pixels, bands, mask);
    const sha256 = { merged: merged.sha256, mask: maskFile.sha256, fmask: fmaskFile.sha256 };
    const rec: ClipRecord = { ...want, qa, files, sha256 };
    await writeTextAtomic(clipRecordPath(o.datasetDir, input.chipId), JSON.stringify(rec));
    return { ok: true, qa, files, scenes };
  } finally {
    if (!o.cache) await cache.close();
  }
}
