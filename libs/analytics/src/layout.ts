// Where the analytics read and write, relative to a dataset dir (names from contracts, as the original's).
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DATASET_DIRS } from '@hls/contracts';
import { readRasterWindow } from '@hls/raster';

export const MASK_SUFFIX = '.mask.tif';
export const MERGED_SUFFIX = '_merged.tif';

/** A chip image in memory: one array per band, row-major. */
export interface ChipRaster {
  width: number;
  height: number;
  bands: ArrayLike<number>[];
}
/** Reads a whole GeoTIFF; injectable so the analytics run on any reader. */
export type ReadChip = (path: string) => Promise<ChipRaster>;
export const readChip: ReadChip = (path) => readRasterWindow(path);

async function listSorted(dir: string, suffix: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${dir}: no such directory (nothing accepted yet?)`, { cause: e });
    throw e;
  }
  return names.filter((n) => n.endsWith(suffix)).sort();
}

export const filteredDir = (datasetDir: string): string => join(datasetDir, DATASET_DIRS.filtered);

/** Chip ids of the accepted chips: `chips_filtered/<chip>.mask.tif`, sorted. */
export async function filteredChipIds(datasetDir: string): Promise<string[]> {
  return (await listSorted(filteredDir(datasetDir), MASK_SUFFIX)).map((n) => n.slice(0, -MASK_SUFFIX.length));
}

export async function filteredMergedFiles(datasetDir: string): Promise<string[]> {
  const dir = filteredDir(datasetDir);
  return (await listSorted(dir, MERGED_SUFFIX)).map((n) => join(dir, n));
}

export async function filteredMaskFiles(datasetDir: string): Promise<string[]> {
  const dir = filteredDir(datasetDir);
  return (await listSorted(dir, MASK_SUFFIX)).map((n) => join(dir, n));
}

export async function writeTextAtomic(path: string, text: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
