// The clip thread (clip-thread.ts): its priority lowered before it loads the clip code, then one chip at a time.
import { parentPort } from 'node:worker_threads';
import { lowerThreadPriority } from '@hls/raster/thread-priority';
import { CLIP_THREAD_NICENESS, clipThreadError, type ClipThreadJob } from './clip-thread.ts';

lowerThreadPriority(CLIP_THREAD_NICENESS);
const [{ clipChip }, { TileRasters }] = await Promise.all([import('./clip.ts'), import('./tile-rasters.ts')]);
const tileRasters = new TileRasters();

parentPort!.on('message', async (m: ({ id: number } & ClipThreadJob) | { close: true }) => {
  if ('close' in m) {
    await tileRasters.close();
    parentPort!.postMessage({ closed: true });
    return;
  }
  try {
    const result = await tileRasters.use(m.runId, m.tileId, (cache) => clipChip(m.input, { ...m.options, cache }));
    parentPort!.postMessage({ id: m.id, result });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: clipThreadError(e) });
  }
});
