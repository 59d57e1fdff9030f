// The clip thread (clip-thread.ts): its priority lowered before it loads the clip code, then one chip at a time.
import { serveJobs } from '@hls/common';
import { lowerThreadPriority } from '@hls/raster/thread-priority';
import { CLIP_THREAD_NICENESS, type ClipThreadJob } from './clip-thread.ts';

lowerThreadPriority(CLIP_THREAD_NICENESS);
const [{ clipChip }, { TileRasters }] = await Promise.all([import('./clip.ts'), import('./tile-rasters.ts')]);
const tileRasters = new TileRasters();

serveJobs<ClipThreadJob, Awaited<ReturnType<typeof clipChip>>>(
  (m) => tileRasters.use(m.runId, m.tileId, (cache) => clipChip(m.input, { ...m.options, cache })),
  () => tileRasters.close(),
);
