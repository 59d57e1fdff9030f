// Class weights (the original's calc_class_weights.py): sklearn's "balanced" weights over the classes
// present, n_samples / (n_classes * count_c), normalised to sum 1; class 0 (no data) gets 0.
import { join } from 'node:path';
import { CLASS_COUNT, DATASET_DIRS, DATASET_FILES } from '@hls/contracts';
import { pyFloat } from '@hls/chips';
import { filteredMaskFiles, readChip, writeTextAtomic, type ReadChip } from './layout.ts';

/** Pixel count per class 0..13 of one mask; a value outside the classes is an error naming the file. */
export function classCounts(values: ArrayLike<number>, source: string): Float64Array {
  const counts = new Float64Array(CLASS_COUNT);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v < CLASS_COUNT && Number.isInteger(v))) throw new Error(`${source}: value ${v} at pixel ${i} is not a class 0..${CLASS_COUNT - 1}`);
    counts[v]!++;
  }
  return counts;
}

/** Class counts of a mask file: maskClassCounts, or a cache of it shared by the steps that read the same masks. */
export type MaskCounts = (file: string) => Promise<Float64Array>;

/** maskClassCounts with each file's counts kept (class weights and the class distribution read the same masks). */
export function cachedMaskCounts(read: ReadChip = readChip): MaskCounts {
  const seen = new Map<string, Promise<Float64Array>>();
  return (file) => {
    let p = seen.get(file);
    if (!p) seen.set(file, (p = maskClassCounts(file, read)));
    return p;
  };
}

export async function maskClassCounts(file: string, read: ReadChip = readChip): Promise<Float64Array> {
  const r = await read(file);
  const counts = new Float64Array(CLASS_COUNT);
  r.bands.forEach((b, i) => classCounts(b, `${file} band ${i + 1}`).forEach((c, k) => (counts[k]! += c)));
  return counts;
}

/**
 * Weights for classes 0..13 from total pixel counts: the non-zero classes present get sklearn's balanced
 * weight, normalised to sum 1 (after normalising only 1 / count matters); class 0 and absent classes get 0.
 */
export function balancedClassWeights(counts: ArrayLike<number>): number[] {
  const present: number[] = [];
  let n = 0;
  for (let c = 1; c < CLASS_COUNT; c++) {
    if ((counts[c] ?? 0) > 0) {
      present.push(c);
      n += counts[c]!;
    }
  }
  const weights = new Array<number>(CLASS_COUNT).fill(0);
  if (present.length === 0) return weights;
  const k = present.length;
  let sum = 0;
  for (const c of present) {
    weights[c] = n / (k * counts[c]!);
    sum += weights[c]!;
  }
  for (const c of present) weights[c] = weights[c]! / sum;
  return weights;
}

export const formatClassWeights = (weights: readonly number[]): string => weights.map((w, i) => `${i}, ${pyFloat(w)}`).join('\n') + '\n';

/** Weights over `<datasetDir>/chips_filtered/*.mask.tif` (or of `chipIds`) into class_weights.csv. */
export async function writeClassWeights(datasetDir: string, options: { read?: ReadChip; chipIds?: readonly string[]; counts?: MaskCounts } = {}): Promise<{ weights: number[]; counts: number[]; files: string[] }> {
  const masks = await filteredMaskFiles(datasetDir, options.chipIds);
  if (masks.length === 0) throw new Error(`${join(datasetDir, DATASET_DIRS.filtered)}: no *.mask.tif chips`);
  const counts = options.counts ?? ((m: string) => maskClassCounts(m, options.read));
  const total = new Float64Array(CLASS_COUNT);
  for (const m of masks) (await counts(m)).forEach((c, k) => (total[k]! += c));
  const weights = balancedClassWeights(total);
  await writeTextAtomic(join(datasetDir, DATASET_FILES.classWeights), formatClassWeights(weights));
  return { weights, counts: [...total], files: [DATASET_FILES.classWeights] };
}
