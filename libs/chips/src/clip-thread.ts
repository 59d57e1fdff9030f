// A thread that clips chips beside the event loop, at the lowest CPU priority: it takes only CPU that nothing
// else of the process wants. On 2 cores the warp threads and the event loop (the services' handlers, its own
// clips) keep both busy while a run warps, and the thread barely runs; once the last tile is warped, its chips
// were clipped on the event loop alone with one core idle (about 1 s of the demo world's chips mode), and the
// thread now takes that core. At equal or warp-like priority (nice 5) a clip thread was tried twice and dropped:
// it took the warps' CPU. A chip the thread holds while starved waits as it would have in the queue.
import { JobThread } from '@hls/common';
import type { ClipChipInput, ClipChipOptions, ClipChipResult } from './clip.ts';

/** The thread's nice value above its process's (Linux): 19, the least weight the scheduler gives (about 1.5 % of a nice-0 thread's). */
export const CLIP_THREAD_NICENESS = 19;

/** A clip job as the thread takes it: the chip, and the options without the event loop's open files. */
export interface ClipThreadJob {
  runId: string;
  tileId: string;
  input: ClipChipInput;
  options: Omit<ClipChipOptions, 'cache'>;
}

/** One chip at a time (the chipper gives it one only when it holds none); it keeps the tiles' band files open, as the event loop's TileRasters does. */
export class ClipThread extends JobThread<ClipThreadJob, ClipChipResult> {
  constructor() {
    super(new URL('./clip-thread-worker.ts', import.meta.url), { name: 'the clip thread' });
  }

  /** Chips the thread has clipped (or failed on). */
  get clipped(): number {
    return this.done;
  }

  /** Clip one chip on the thread. */
  clip(job: ClipThreadJob): Promise<ClipChipResult> {
    return this.run(job);
  }
}
