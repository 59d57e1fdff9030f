// A band-stats thread: the stats (and .npy files) of its bands over every merged chip; the answer is one message.
import { parentPort, workerData } from 'node:worker_threads';
import type { BandStatsJob } from './band-stats.ts';
import { readMergedBands, statsOfBands } from './band-values.ts';

const job = workerData as BandStatsJob;
try {
  parentPort!.postMessage({ stats: await statsOfBands(job.files, job.which, readMergedBands, job.npyDir) });
} catch (e) {
  parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
}
