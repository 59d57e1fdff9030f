// The original pipeline's scene files: selected_tiles.csv and tile_payloads.json. Pure formatters plus
// per-tile part files: concurrent tiles (several scene-selector replicas) each write their own part
// file atomically under `<dataset>/.scene-parts/`, and mergeSceneParts builds the two files from all
// parts in tile order, so no two writers ever touch the same file.
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { csvField } from '@hls/common';
import { BANDS, DATASET_FILES, parseGranuleId } from '@hls/contracts';
import type { Band, Scene } from '@hls/contracts';

export const SELECTED_TILES_COLUMNS = ['title_id', 'tile_id', 'cloud_cover', 'spatial_cover', 'date', 'http_links', 's3_links'] as const;
export const SCENE_PARTS_DIR = '.scene-parts';

/** A string as Python's repr() prints it (single quotes unless the text has ' and no "). */
function pyRepr(s: string): string {
  if (s.includes("'") && !s.includes('"')) return `"${s.replace(/\\/g, '\\\\')}"`;
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * A band -> link mapping as pandas writes a dict cell (`str(dict)`), the way identify_hls_scenes.py's
 * `http_links` / `s3_links` columns look: `{'B02': 'https://...', ..., 'Fmask': '...'}`.
 */
export function pyDictCell(links: readonly (readonly [string, string])[]): string {
  return `{${links.map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
}

/** Band links of a links cell: the original's dict cell, or the JSON array of links earlier versions wrote. */
export function parseLinksCell(cell: string): Partial<Record<Band, string>> {
  const out: Partial<Record<Band, string>> = {};
  const t = cell.trim();
  if (t === '' || t === '{}' || t === '[]') return out;
  if (t.startsWith('[')) {
    const arr: unknown = JSON.parse(t);
    if (!Array.isArray(arr)) throw new Error(`links cell is not a list: ${t.slice(0, 60)}`);
    for (const href of arr) {
      const band = typeof href === 'string' ? BANDS.find((b) => href.endsWith(`.${b}.tif`)) : undefined;
      if (band && typeof href === 'string') out[band] = href;
    }
    return out;
  }
  const str = String.raw`'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"`;
  const pair = new RegExp(`(?:${str})\\s*:\\s*(?:${str})`, 'g');
  const unesc = (x: string) => x.replace(/\\(.)/g, '$1');
  for (const m of t.matchAll(pair)) {
    const key = unesc(m[1] ?? m[2] ?? '');
    const band = BANDS.find((b) => b === key);
    if (band) out[band] = unesc(m[3] ?? m[4] ?? '');
  }
  if (Object.keys(out).length === 0) throw new Error(`links cell is neither a {band: link} mapping nor a list: ${t.slice(0, 60)}`);
  return out;
}

/** A tile id as the original writes it in selected_tiles.csv (`title_id.split(".")[2]`: with the `T`). */
export function csvTileId(tileId: string): string {
  return tileId.startsWith('T') ? tileId : `T${tileId}`;
}

/** The MGRS tile id (`15TVG`) from either shape of the tile_id column (`T15TVG` or `15TVG`). */
export function mgrsTileId(cell: string): string {
  return /^T\d{2}[A-Z]{3}$/.test(cell) ? cell.slice(1) : cell;
}

/** One row per selected scene, the columns and cell formats of the original's selected_tiles.csv. */
export function selectedTilesRows(scenes: readonly Scene[]): string[] {
  return scenes.map((s) =>
    [
      s.granuleId,
      csvTileId(s.tileId),
      s.cloudCover,
      s.spatialCoverage,
      s.date,
      pyDictCell(s.bands.flatMap((b) => (b.href ? [[b.band, b.href] as const] : []))),
      pyDictCell(s.bands.flatMap((b) => (b.s3 ? [[b.band, b.s3] as const] : []))),
    ]
      .map(csvField)
      .join(','),
  );
}

export function selectedTilesCsv(scenes: readonly Scene[]): string {
  return [SELECTED_TILES_COLUMNS.join(','), ...selectedTilesRows(scenes)].join('\n') + '\n';
}

/** A band of tile_payloads.json, keys in grab_cids_from_selected_tiles.py's order. */
export interface TilePayloadBand {
  filename: string;
  cid: string | null;
  band_name: string;
}
/** One scene's payload as our code handles it (read from either file shape). */
export interface TilePayloadScene {
  title_id: string;
  tile_id: string;
  date: string;
  bands: TilePayloadBand[];
}
/** tile_payloads.json as the original's grab step writes it: granule id -> its band list. */
export type TilePayloadsFile = Record<string, TilePayloadBand[]>;

export function tilePayloads(scenes: readonly Scene[]): TilePayloadScene[] {
  return scenes.map((s) => ({
    title_id: s.granuleId,
    tile_id: s.tileId,
    date: s.date,
    bands: s.bands.map((b) => ({ filename: b.filename, cid: b.cid ?? null, band_name: b.band })),
  }));
}

/** The file's object, keyed by granule id (a band keeps `cid: null` when no CID is known, so it is reported, not lost). */
export function tilePayloadsFile(payloads: readonly TilePayloadScene[]): TilePayloadsFile {
  const out: TilePayloadsFile = {};
  for (const p of payloads) out[p.title_id] = p.bands.map((b) => ({ filename: b.filename, cid: b.cid, band_name: b.band_name }));
  return out;
}

/** tile_payloads.json text, as Python's `json.dump(obj, f)` writes it (one line, ", " and ": "). */
export function tilePayloadsJson(payloads: readonly TilePayloadScene[]): string {
  const py = (v: unknown): string =>
    Array.isArray(v)
      ? `[${v.map(py).join(', ')}]`
      : v !== null && typeof v === 'object'
        ? `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${py(x)}`).join(', ')}}`
        : JSON.stringify(v);
  return py(tilePayloadsFile(payloads));
}

/**
 * Scenes of a tile_payloads.json document in either shape: the original's `{granule: [bands]}` or the
 * list of `{title_id, tile_id, date, bands}` earlier versions wrote. Errors name the file and the scene.
 */
export function parseTilePayloads(data: unknown, source: string): TilePayloadScene[] {
  const band = (b: unknown, where: string): TilePayloadBand => {
    const x = b as Partial<TilePayloadBand> | null;
    if (!x || typeof x.filename !== 'string' || typeof x.band_name !== 'string' || (x.cid !== null && x.cid !== undefined && typeof x.cid !== 'string')) {
      throw new Error(`${source}: ${where}: a band needs filename, band_name and cid`);
    }
    return { filename: x.filename, cid: x.cid ?? null, band_name: x.band_name };
  };
  if (Array.isArray(data)) {
    return data.map((s: unknown, i) => {
      const x = s as Partial<TilePayloadScene> | null;
      if (!x || typeof x.title_id !== 'string' || !Array.isArray(x.bands)) throw new Error(`${source}: scene ${i} lacks title_id or bands`);
      return { title_id: x.title_id, tile_id: mgrsTileId(x.tile_id ?? ''), date: x.date ?? '', bands: x.bands.map((b, j) => band(b, `scene ${x.title_id} band ${j}`)) };
    });
  }
  if (data === null || typeof data !== 'object') throw new Error(`${source}: expected {granule id: [bands]} (or a list of scenes)`);
  return Object.entries(data as Record<string, unknown>).map(([id, bands]) => {
    if (!Array.isArray(bands)) throw new Error(`${source}: scene ${id}: expected a list of bands`);
    let tile = '';
    let date = '';
    try {
      ({ tileId: tile, date } = parseGranuleId(id));
    } catch {
      throw new Error(`${source}: key ${JSON.stringify(id)} is not an HLS granule id`);
    }
    return { title_id: id, tile_id: tile, date, bands: bands.map((b, j) => band(b, `scene ${id} band ${j}`)) };
  });
}

async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Write one tile's selected scenes as `<datasetDir>/.scene-parts/<tileId>.json` (atomic, idempotent). */
export async function writeScenePart(datasetDir: string, tileId: string, scenes: readonly Scene[]): Promise<string> {
  const dir = join(datasetDir, SCENE_PARTS_DIR);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${tileId}.json`);
  await writeAtomic(path, JSON.stringify(scenes, null, 1));
  return path;
}

/** Drop a tile's part (the tile is rejected in this run); true when there was one. */
export async function removeScenePart(datasetDir: string, tileId: string): Promise<boolean> {
  const path = join(datasetDir, SCENE_PARTS_DIR, `${tileId}.json`);
  try {
    await rm(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** The selected scenes of every tile's part file, in tile order (none when there are no parts). */
export async function readSceneParts(datasetDir: string): Promise<{ tiles: number; scenes: Scene[] }> {
  const dir = join(datasetDir, SCENE_PARTS_DIR);
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const scenes: Scene[] = [];
  for (const n of names) scenes.push(...(JSON.parse(await readFile(join(dir, n), 'utf8')) as Scene[]));
  return { tiles: names.length, scenes };
}

/** Build selected_tiles.csv and tile_payloads.json from every tile's part file, in tile order. */
export async function mergeSceneParts(datasetDir: string): Promise<{ tiles: number; scenes: number; files: string[] }> {
  const { tiles, scenes: all } = await readSceneParts(datasetDir);
  const csv = join(datasetDir, DATASET_FILES.selectedTiles);
  const payloads = join(datasetDir, DATASET_FILES.tilePayloads);
  await writeAtomic(csv, selectedTilesCsv(all));
  await writeAtomic(payloads, tilePayloadsJson(tilePayloads(all)));
  return { tiles, scenes: all.length, files: [csv, payloads] };
}
