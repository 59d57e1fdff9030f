// A thread for band statistics (band-stats-worker.ts): given some reflectance bands of the merged chips, their
// stats and .npy files. computeBandStats starts threads for a large dataset; the dataset-analytics service
// keeps one started from its own start (BandStatsThread.warm), so the run's dataset stage counts on a second
// core with no thread start in it: about half of the demo world's 1 s dataset stage is band stats, and a thread
// started in the stage took as long to start as it saved (0.1-0.2 s of its modules).
import { JobThread } from '@hls/common';
import type { BandStats } from './band-values.ts';

/** What a band-stats thread is given. */
export interface BandStatsJob {
  files: readonly string[];
  /** 0-based indices into REFLECTANCE_BANDS. */
  which: readonly number[];
  npyDir?: string;
}

/**
 * The warm thread's nice value above its process's (Linux): it loads while the run's first stages run and must
 * not take their CPU; in the dataset stage it has the core the rest of the run left idle.
 */
export const BAND_STATS_THREAD_NICENESS = 19;

export class BandStatsThread extends JobThread<BandStatsJob, BandStats[]> {
  /** `niceness`: lower the thread's priority by this much before it loads its modules. */
  constructor(o: { niceness?: number } = {}) {
    super(new URL('./band-stats-worker.ts', import.meta.url), { name: 'the band stats thread', workerData: { niceness: o.niceness ?? 0 } });
  }

  /** A thread to keep for the dataset stages to come, loading at the lowest priority. */
  static warm(): BandStatsThread {
    return new BandStatsThread({ niceness: BAND_STATS_THREAD_NICENESS });
  }

  /** The stats of `job.which`'s bands over `job.files`, in band order. */
  stats(job: BandStatsJob): Promise<BandStats[]> {
    return this.run(job);
  }
}
