// A band-stats thread (band-stats-thread.ts): its priority lowered first when asked, then the stats of each job's
// bands over every merged chip. It loads this module and band-values.ts only (no zod, no chips library), so it
// starts fast.
import { workerData } from 'node:worker_threads';
import { serveJobs } from '@hls/common';
import { lowerThreadPriority } from '@hls/raster/thread-priority';
import type { BandStatsJob } from './band-stats-thread.ts';
import type { BandStats } from './band-values.ts';

const { niceness } = workerData as { niceness: number };
if (niceness > 0) lowerThreadPriority(niceness);
const { readMergedBands, statsOfBands } = await import('./band-values.ts');
serveJobs<BandStatsJob, BandStats[]>((job) => statsOfBands(job.files, job.which, readMergedBands, job.npyDir));
