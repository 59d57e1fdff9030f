// The whole dataset step over chips_filtered/: split, band stats, class weights, class distribution.
import { writeBandStats } from './band-stats.ts';
import { writeClassDistribution } from './class-distribution.ts';
import { writeClassWeights } from './class-weights.ts';
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
}

export async function buildDataset(datasetDir: string, options: BuildDatasetOptions = {}): Promise<DatasetSummary> {
  const split = await writeSplit(datasetDir, options);
  const stats = await writeBandStats(datasetDir, { read: options.read });
  const weights = await writeClassWeights(datasetDir, { read: options.read });
  const dist = await writeClassDistribution(datasetDir, { read: options.read });
  return { train: split.train.length, val: split.val.length, files: [...split.files, ...stats.files, ...weights.files, ...dist.files] };
}
