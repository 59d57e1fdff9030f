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
  // The class weights and the distribution count the same masks: each is read once. They run beside the
  // band stats, whose file reads and writes they fill.
  const counts = cachedMaskCounts(options.read);
  const classes = async () => {
    const weights = await writeClassWeights(datasetDir, { read: options.read, chipIds, counts });
    return { weights, dist: await writeClassDistribution(datasetDir, { read: options.read, counts }) };
  };
  // Both finish before a failure of either is thrown: no write of this step outlives it.
  const [bands, classed] = await Promise.allSettled([writeBandStats(datasetDir, { read: options.read, chipIds }), classes()]);
  if (bands.status === 'rejected') throw bands.reason;
  if (classed.status === 'rejected') throw classed.reason;
  const stats = bands.value;
  const { weights, dist } = classed.value;
  return { train: split.train.length, val: split.val.length, files: [...split.files, ...stats.files, ...weights.files, ...dist.files] };
}
