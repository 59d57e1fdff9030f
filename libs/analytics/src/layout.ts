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

/**
 * The accepted chips' files: of the given chips (a run's own, so an earlier run's chips in the shared
 * directory never mix in), or of every chip in chips_filtered/ (the step commands over a directory).
 */
async function filteredFiles(datasetDir: string, suffix: string, chipIds?: readonly string[]): Promise<string[]> {
  const dir = filteredDir(datasetDir);
  const names = chipIds ? [...chipIds].sort().map((id) => `${id}${suffix}`) : await listSorted(dir, suffix);
  return names.map((n) => join(dir, n));
}

export const filteredMergedFiles = (datasetDir: string, chipIds?: readonly string[]): Promise<string[]> => filteredFiles(datasetDir, MERGED_SUFFIX, chipIds);

export const filteredMaskFiles = (datasetDir: string, chipIds?: readonly string[]): Promise<string[]> => filteredFiles(datasetDir, MASK_SUFFIX, chipIds);

export async function writeTextAtomic(path: string, text: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
