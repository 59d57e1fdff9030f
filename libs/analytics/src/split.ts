// 80/20 train/validation split (the original's training_split_data.py): ids sorted, numpy's shuffle with
// the seed, the first floor(fraction * n) are training.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATASET_FILES } from '@hls/contracts';
import { parseCsv } from '@hls/common';
import { filteredChipIds, writeTextAtomic } from './layout.ts';
import { numpyShuffle } from './mt19937.ts';

export interface SplitOptions {
  seed?: number;
  trainFraction?: number;
  /** The accepted chips to split (a run's own); default: every chip in chips_filtered/. */
  chipIds?: readonly string[];
}
export interface Split {
  train: string[];
  val: string[];
}

export function splitChipIds(chipIds: readonly string[], options: SplitOptions = {}): Split {
  const seed = options.seed ?? 42;
  const fraction = options.trainFraction ?? 0.8;
  if (!(fraction > 0 && fraction < 1)) throw new Error(`train fraction must be between 0 and 1, got ${fraction}`);
  // Sorted first: directory order differs between file systems, the split must not.
  const ids = numpyShuffle([...chipIds].sort(), seed);
  const n = Math.floor(fraction * ids.length);
  return { train: ids.slice(0, n), val: ids.slice(n) };
}

/** The original's `ids` column holds what follows `chip_` in the file name (chip_031_186 -> 031_186). */
export const idsLabel = (chipId: string): string => (chipId.startsWith('chip_') ? chipId.slice(5) : chipId);
/** Back from the `ids` column to a chip id. */
export const chipIdFromLabel = (label: string): string => (label.startsWith('chip_') ? label : `chip_${label}`);

export const formatIdsCsv = (chipIds: readonly string[]): string => ['ids', ...chipIds.map(idsLabel)].join('\n') + '\n';

export function parseIdsCsv(text: string, source: string): string[] {
  const rows = parseCsv(text);
  const col = rows[0]?.indexOf('ids') ?? -1;
  if (col < 0) throw new Error(`${source}: the file does not contain the 'ids' column`);
  return rows.slice(1).map((r) => chipIdFromLabel(r[col] ?? ''));
}

export async function readSplit(datasetDir: string): Promise<Split> {
  const read = async (name: string) => {
    const p = join(datasetDir, name);
    return parseIdsCsv(await readFile(p, 'utf8'), p);
  };
  return { train: await read(DATASET_FILES.trainIds), val: await read(DATASET_FILES.valIds) };
}

/**
 * Split the accepted chips (`chipIds`, else those of `<datasetDir>/chips_filtered/`) and write
 * train_ids.csv / val_ids.csv (header `ids`) and training_data.txt / validation_data.txt (one chip id a
 * line). Given chips may be none: the files are then written empty (a run that accepted nothing).
 */
export async function writeSplit(datasetDir: string, options: SplitOptions = {}): Promise<Split & { files: string[] }> {
  const ids = options.chipIds ?? (await filteredChipIds(datasetDir));
  if (ids.length === 0 && !options.chipIds) throw new Error(`${join(datasetDir, 'chips_filtered')}: no *.mask.tif chips to split`);
  const split = splitChipIds(ids, options);
  const files = [DATASET_FILES.trainIds, DATASET_FILES.valIds, DATASET_FILES.trainingData, DATASET_FILES.validationData];
  const lines = (a: string[]) => (a.length ? a.join('\n') + '\n' : '');
  await writeTextAtomic(join(datasetDir, DATASET_FILES.trainIds), formatIdsCsv(split.train));
  await writeTextAtomic(join(datasetDir, DATASET_FILES.valIds), formatIdsCsv(split.val));
  await writeTextAtomic(join(datasetDir, DATASET_FILES.trainingData), lines(split.train));
  await writeTextAtomic(join(datasetDir, DATASET_FILES.validationData), lines(split.val));
  return { ...split, files };
}
