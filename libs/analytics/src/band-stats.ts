// Band statistics (the original's calc_band_mean_sd.py): for each of the 6 reflectance bands, its values
// over the 3 dates of every accepted chip: mean, std, and min/max after clipping at the 1.5 / 98.5
// percentiles. Exact, in bounded memory (Int16 histogram); the values go to a streamed .npy per band.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DATASET_DIRS, DATASET_FILES, REFLECTANCE_BANDS, SCENES_PER_TILE, type ReflectanceBand } from '@hls/contracts';
import { pyFloat } from '@hls/chips';
import { Int16Histogram } from './histogram.ts';
import { filteredMergedFiles, readChip, writeTextAtomic, type ReadChip } from './layout.ts';
import { NpyInt16Writer } from './npy.ts';

export const CLIP_PERCENT = 1.5;
const BANDS_PER_CHIP = REFLECTANCE_BANDS.length * SCENES_PER_TILE;

export interface BandStats {
  /** 1..6, as in band_values_<n>.txt. */
  index: number;
  band: ReflectanceBand;
  count: number;
  mean: number;
  std: number;
  /** The 1.5th / 98.5th percentiles: min and max of the clipped values. */
  min: number;
  max: number;
}

export interface BandStatsOptions {
  read?: ReadChip;
  /** Write band_values_<n>.npy here (the values in file order, each file's 3 dates in date order). */
  npyDir?: string;
}

/** Stats of the 18-band merged chips; band i (0-based) of date d is merged band d * 6 + i. */
export async function computeBandStats(mergedFiles: readonly string[], options: BandStatsOptions = {}): Promise<BandStats[]> {
  const read = options.read ?? readChip;
  const hists = REFLECTANCE_BANDS.map(() => new Int16Histogram());
  let writers: NpyInt16Writer[] = [];
  if (options.npyDir) {
    await mkdir(options.npyDir, { recursive: true });
    writers = REFLECTANCE_BANDS.map((_, i) => new NpyInt16Writer(join(options.npyDir!, `band_values_${i + 1}.npy`)));
    for (const w of writers) await w.open();
  }
  try {
    // The next chip is read while this one is counted and written (its file I/O overlaps the counting).
    let next = mergedFiles.length > 0 ? read(mergedFiles[0]!) : undefined;
    for (let f = 0; f < mergedFiles.length; f++) {
      const file = mergedFiles[f]!;
      const r = await next!;
      next = f + 1 < mergedFiles.length ? read(mergedFiles[f + 1]!) : undefined;
      // A failure of the read ahead surfaces when it is awaited; until then it must not count as unhandled.
      next?.catch(() => {});
      if (r.bands.length !== BANDS_PER_CHIP) throw new Error(`${file}: has ${r.bands.length} bands, a merged chip has ${BANDS_PER_CHIP}`);
      const appends: Promise<void>[] = [];
      for (let i = 0; i < REFLECTANCE_BANDS.length; i++) {
        const dates: Int16Array[] = [];
        for (let d = 0; d < SCENES_PER_TILE; d++) {
          const values = r.bands[d * REFLECTANCE_BANDS.length + i]!;
          hists[i]!.add(values, `${file} band ${d * REFLECTANCE_BANDS.length + i + 1}`);
          dates.push(values instanceof Int16Array ? values : Int16Array.from(values));
        }
        if (writers[i]) appends.push(writers[i]!.append(...dates));
      }
      await Promise.all(appends);
    }
  } finally {
    for (const w of writers) await w.close();
  }
  return hists.map((h, i) => ({
    index: i + 1,
    band: REFLECTANCE_BANDS[i]!,
    count: h.n,
    mean: h.mean(),
    std: h.std(),
    min: h.percentile(CLIP_PERCENT),
    max: h.percentile(100 - CLIP_PERCENT),
  }));
}

export const formatBandValues = (s: BandStats): string =>
  `Mean: ${pyFloat(s.mean)}\nStd: ${pyFloat(s.std)}\nMin: ${pyFloat(s.min)}\nMax: ${pyFloat(s.max)}\n`;

export function formatGlobalStats(stats: readonly BandStats[]): string {
  const list = (f: (s: BandStats) => number) => `[${stats.map((s) => pyFloat(f(s))).join(', ')}]`;
  return `min: ${list((s) => s.min)}\nmax: ${list((s) => s.max)}\nmean: ${list((s) => s.mean)}\nstd: ${list((s) => s.std)}\n`;
}

/** Stats over `<datasetDir>/chips_filtered/*_merged.tif` (or of `chipIds`) into band_stats/ and global_stats.txt. */
export async function writeBandStats(datasetDir: string, options: { read?: ReadChip; chipIds?: readonly string[] } = {}): Promise<{ stats: BandStats[]; files: string[] }> {
  const merged = await filteredMergedFiles(datasetDir, options.chipIds);
  if (merged.length === 0) throw new Error(`${join(datasetDir, DATASET_DIRS.filtered)}: no *_merged.tif chips`);
  const dir = join(datasetDir, DATASET_DIRS.bandStats);
  const stats = await computeBandStats(merged, { read: options.read, npyDir: dir });
  const files: string[] = [];
  for (const s of stats) {
    const name = join(DATASET_DIRS.bandStats, `band_values_${s.index}.txt`);
    await writeTextAtomic(join(datasetDir, name), formatBandValues(s));
    files.push(name, join(DATASET_DIRS.bandStats, `band_values_${s.index}.npy`));
  }
  await writeTextAtomic(join(datasetDir, DATASET_FILES.globalStats), formatGlobalStats(stats));
  files.push(DATASET_FILES.globalStats);
  return { stats, files };
}
