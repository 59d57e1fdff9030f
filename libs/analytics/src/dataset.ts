// The whole dataset step over the accepted chips: split, band stats, class weights, class distribution.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DATASET_DIRS, DATASET_FILES } from '@hls/contracts';
import { writeBandStats } from './band-stats.ts';
import { writeClassDistribution } from './class-distribution.ts';
import { cachedMaskCounts, writeClassWeights } from './class-weights.ts';
import type { ReadChip } from './layout.ts';
import { writeSplit, type SplitOptions } from './split.ts';

export interface BuildDatasetOptions extends SplitOptions {
  read?: ReadChip;
}

export interface DatasetSummary {
  train: number;
  val: number;
  /** Written files, relative to the dataset dir. */
  files: string[];
  /** Set when no chip was accepted: only the (empty) split files are written. */
  empty?: string;
}

/** Files computed from accepted chips: with none, an earlier run's copies would pass for this run's. */
const FROM_CHIPS = [DATASET_FILES.globalStats, DATASET_FILES.classWeights, DATASET_DIRS.bandStats, DATASET_DIRS.plots];

/**
 * Every file from the same chips: `chipIds` (a run's accepted chips) or, when not given, every chip in
 * chips_filtered/. With no chip, the split files are written empty and nothing else is left behind.
 */
export async function buildDataset(datasetDir: string, options: BuildDatasetOptions = {}): Promise<DatasetSummary> {
  const split = await writeSplit(datasetDir, options);
  const chipIds = [...split.train, ...split.val];
  if (chipIds.length === 0) {
    for (const f of FROM_CHIPS) await rm(join(datasetDir, f), { recursive: true, force: true });
    return { train: 0, val: 0, files: split.files, empty: 'no chip was accepted: the split files are empty; no band stats, class weights or plots' };
  }
  const stats = await writeBandStats(datasetDir, { read: options.read, chipIds });
  // The class weights and the distribution count the same masks: each is read once.
  const counts = cachedMaskCounts(options.read);
  const weights = await writeClassWeights(datasetDir, { read: options.read, chipIds, counts });
  const dist = await writeClassDistribution(datasetDir, { read: options.read, counts });
  return { train: split.train.length, val: split.val.length, files: [...split.files, ...stats.files, ...weights.files, ...dist.files] };
}
