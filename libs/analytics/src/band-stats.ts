// Band statistics (the original's calc_band_mean_sd.py): for each of the 6 reflectance bands, its values
// over the 3 dates of every accepted chip: mean, std, and min/max after clipping at the 1.5 / 98.5
// percentiles. Exact, in bounded memory (Int16 histogram); the values go to a streamed .npy per band.
// A large dataset's bands are split over worker threads: each reads only its bands' blocks of every chip (the
// merged chips are planar), so a US-wide dataset's hours of decoding spread over the cores.
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DATASET_DIRS, DATASET_FILES, REFLECTANCE_BANDS } from '@hls/contracts';
import { pyFloat } from '@hls/chips';
import { BANDS_PER_CHIP, notMerged, readMergedBands, statsOfBands, type BandStats, type ReadMergedBands } from './band-values.ts';
import { filteredMergedFiles, writeTextAtomic, type ReadChip } from './layout.ts';

export { CLIP_PERCENT, readMergedBands, statsOfBands, type BandStats, type ReadMergedBands } from './band-values.ts';

export interface BandStatsOptions {
  /** Reads a whole chip (tests); the stats then run on this thread. */
  read?: ReadChip;
  /** Write band_values_<n>.npy here (the values in file order, each file's 3 dates in date order). */
  npyDir?: string;
  /** Threads the 6 bands are split over: default one per core (at most 6, and one per 64 chips); 1 counts on this thread. */
  threads?: number;
}

const mergedBandsOf =
  (read: ReadChip): ReadMergedBands =>
  async (file, bands) => {
    const r = await read(file);
    if (r.bands.length !== BANDS_PER_CHIP) throw notMerged(file, r.bands.length);
    return bands.map((b) => r.bands[b]!);
  };

/** What a band-stats thread is given (band-stats-worker.ts). */
export interface BandStatsJob {
  files: readonly string[];
  which: readonly number[];
  npyDir?: string;
}

function statsOnThread(job: BandStatsJob): Promise<BandStats[]> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./band-stats-worker.ts', import.meta.url), { workerData: job });
    let settled = false;
    w.once('message', (m: { stats: BandStats[] } | { error: string }) => {
      settled = true;
      if ('error' in m) reject(new Error(m.error));
      else resolve(m.stats);
    });
    w.once('error', (e) => {
      settled = true;
      reject(e);
    });
    w.once('exit', (code) => {
      if (!settled) reject(new Error(`the band stats thread for band(s) ${job.which.map((i) => i + 1).join(', ')} stopped (exit code ${code}) before it answered`));
    });
  });
}

/**
 * Chips a thread is started for at least: a thread takes 0.1-0.2 s of CPU to start (its modules) and a chip
 * about 10 ms to count, and in a run the threads share the cores with the rest of the dataset step: the demo
 * world's 38 chips on 2 threads took as long as on one (4 paired runs). A small dataset is counted where it is.
 */
const CHIPS_PER_THREAD = 64;

/** Stats of the 18-band merged chips, for the 6 reflectance bands in order. */
export async function computeBandStats(mergedFiles: readonly string[], options: BandStatsOptions = {}): Promise<BandStats[]> {
  const all = REFLECTANCE_BANDS.map((_, i) => i);
  const threads = options.read ? 1 : Math.max(1, Math.min(all.length, options.threads ?? Math.min(availableParallelism(), Math.floor(mergedFiles.length / CHIPS_PER_THREAD))));
  if (threads === 1) return statsOfBands(mergedFiles, all, options.read ? mergedBandsOf(options.read) : readMergedBands, options.npyDir);
  if (options.npyDir) await mkdir(options.npyDir, { recursive: true });
  // Bands dealt round-robin; every thread finishes (and closes its .npy files) before an error is thrown.
  const jobs = Array.from({ length: threads }, (_, t) => all.filter((i) => i % threads === t));
  const done = await Promise.allSettled(jobs.map((which) => statsOnThread({ files: mergedFiles, which, ...(options.npyDir ? { npyDir: options.npyDir } : {}) })));
  const failed = done.find((d) => d.status === 'rejected');
  if (failed) throw failed.reason;
  return done.flatMap((d) => (d.status === 'fulfilled' ? d.value : [])).sort((a, b) => a.index - b.index);
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
