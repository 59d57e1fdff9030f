// The original pipeline's scene files: selected_tiles.csv and tile_payloads.json. Pure formatters plus
// per-tile part files: concurrent tiles (several scene-selector replicas) each write their own part
// file atomically under `<dataset>/.scene-parts/`, and mergeSceneParts builds the two files from all
// parts in tile order, so no two writers ever touch the same file.
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { csvField } from '@hls/common';
import { DATASET_FILES } from '@hls/contracts';
import type { Scene } from '@hls/contracts';

export const SELECTED_TILES_COLUMNS = ['title_id', 'tile_id', 'cloud_cover', 'spatial_cover', 'date', 'http_links', 's3_links'] as const;
export const SCENE_PARTS_DIR = '.scene-parts';

/** One row per selected scene; link columns hold a JSON array of the band links in band order. */
export function selectedTilesRows(scenes: readonly Scene[]): string[] {
  return scenes.map((s) =>
    [
      s.granuleId,
      s.tileId,
      s.cloudCover,
      s.spatialCoverage,
      s.date,
      JSON.stringify(s.bands.flatMap((b) => (b.href ? [b.href] : []))),
      JSON.stringify(s.bands.flatMap((b) => (b.s3 ? [b.s3] : []))),
    ]
      .map(csvField)
      .join(','),
  );
}

export function selectedTilesCsv(scenes: readonly Scene[]): string {
  return [SELECTED_TILES_COLUMNS.join(','), ...selectedTilesRows(scenes)].join('\n') + '\n';
}

/** tile_payloads.json entries (the original pipeline's shape); libs/ipfs reads them back. */
export interface TilePayloadBand {
  band_name: string;
  filename: string;
  cid: string | null;
}
export interface TilePayloadScene {
  title_id: string;
  tile_id: string;
  date: string;
  bands: TilePayloadBand[];
}

export function tilePayloads(scenes: readonly Scene[]): TilePayloadScene[] {
  return scenes.map((s) => ({
    title_id: s.granuleId,
    tile_id: s.tileId,
    date: s.date,
    bands: s.bands.map((b) => ({ band_name: b.band, filename: b.filename, cid: b.cid ?? null })),
  }));
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
  await writeAtomic(payloads, JSON.stringify(tilePayloads(all), null, 2) + '\n');
  return { tiles, scenes: all.length, files: [csv, payloads] };
}
