// Piscina worker: one task = one file reprojected (read, warp, write) off the main thread.
import { reprojectFile } from './reproject.ts';
import type { ReprojectOptions, ReprojectResult } from './reproject.ts';
import { WARP_THREAD_NICENESS, lowerThreadPriority } from './thread-priority.ts';

// The event loop's work (handlers, clips) goes first on a contended core; warping fills the rest.
lowerThreadPriority(WARP_THREAD_NICENESS);

export interface ReprojectTask {
  input: string;
  output: string;
  options: ReprojectOptions;
}

/** `{ warm: true }` asks a thread only to be up (the pool's warm()): starting it loaded the warp code. */
export default async function reprojectTask(task: ReprojectTask | { warm: true }): Promise<ReprojectResult | null> {
  if ('warm' in task) return null;
  return reprojectFile(task.input, task.output, task.options);
}
