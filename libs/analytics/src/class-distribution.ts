// Class distribution (the original's generate_class_distribution.py): per-chip class counts of the
// training and validation chips, and a bar chart of each set's class shares with the 14 class names.
import { join } from 'node:path';
import { CLASS_COUNT, CLASS_NAMES, DATASET_DIRS, DATASET_FILES } from '@hls/contracts';
import { csvField } from '@hls/common';
import { filteredDir, MASK_SUFFIX, writeTextAtomic, type ReadChip } from './layout.ts';
import { maskClassCounts, type MaskCounts } from './class-weights.ts';
import { barChartSvg, renderPng } from './plot.ts';
import { readSplit } from './split.ts';

export interface ChipClassCounts {
  chipId: string;
  counts: number[];
}

export async function chipsClassCounts(datasetDir: string, chipIds: readonly string[], counts: MaskCounts = (f) => maskClassCounts(f)): Promise<ChipClassCounts[]> {
  const out: ChipClassCounts[] = [];
  for (const id of chipIds) out.push({ chipId: id, counts: [...(await counts(join(filteredDir(datasetDir), `${id}${MASK_SUFFIX}`)))] });
  return out;
}

/** Share of each class over all chips (sums to 1; all 0 when there are no pixels). */
export function classShares(rows: readonly ChipClassCounts[]): number[] {
  const total = new Array<number>(CLASS_COUNT).fill(0);
  for (const r of rows) r.counts.forEach((c, k) => (total[k]! += c));
  const n = total.reduce((a, b) => a + b, 0);
  return total.map((c) => (n > 0 ? c / n : 0));
}

export const formatClassCounts = (rows: readonly ChipClassCounts[]): string =>
  [['chip_id', ...CLASS_NAMES.map((_, i) => String(i))].join(','), ...rows.map((r) => [csvField(r.chipId), ...r.counts].join(','))].join('\n') + '\n';

const SETS = [
  { key: 'train', name: 'training', title: 'Training Data Distribution', png: DATASET_FILES.trainingDistributionPlot },
  { key: 'val', name: 'validation', title: 'Validation Data Distribution', png: DATASET_FILES.validationDistributionPlot },
] as const;

/**
 * From train_ids.csv / val_ids.csv and the masks in chips_filtered/: plots/<set>_dst.csv (per-chip counts)
 * and <set>_dst.png (class shares) at the dataset root, where the original's generate_class_distribution.py
 * puts them, for set = training, validation.
 */
export async function writeClassDistribution(
  datasetDir: string,
  options: { read?: ReadChip; counts?: MaskCounts } = {},
): Promise<{ shares: Record<'train' | 'val', number[]>; files: string[] }> {
  const split = await readSplit(datasetDir);
  const files: string[] = [];
  const shares = { train: [] as number[], val: [] as number[] };
  const counts = options.counts ?? ((m: string) => maskClassCounts(m, options.read));
  for (const s of SETS) {
    const rows = await chipsClassCounts(datasetDir, split[s.key], counts);
    const csv = join(DATASET_DIRS.plots, `${s.name}_dst.csv`);
    const png = s.png;
    await writeTextAtomic(join(datasetDir, csv), formatClassCounts(rows));
    shares[s.key] = classShares(rows);
    const svg = barChartSvg({ title: `${s.title} (${rows.length} chips)`, labels: CLASS_NAMES, values: shares[s.key], yLabel: 'share of pixels' });
    await writeTextAtomic(join(datasetDir, png), renderPng(svg));
    files.push(csv, png);
  }
  return { shares, files };
}
