// Piscina worker: one task = one file reprojected (read, warp, write) off the main thread.
import type { ReprojectOptions, ReprojectResult, reprojectFile as ReprojectFile } from './reproject.ts';
import { WARP_THREAD_NICENESS, lowerThreadPriority } from './thread-priority.ts';

// The event loop's work (handlers, clips) goes first on a contended core; warping fills the rest. Lowered
// before the warp code loads (about 0.3 s of CPU a thread, while the services start on the event loop).
lowerThreadPriority(WARP_THREAD_NICENESS);
let warpCode: Promise<{ reprojectFile: typeof ReprojectFile }> | undefined;

export interface ReprojectTask {
  input: string;
  output: string;
  options: ReprojectOptions;
}

/** `{ warm: true }` asks a thread only to be up with the warp code loaded (the pool's warm()). */
export default async function reprojectTask(task: ReprojectTask | { warm: true }): Promise<ReprojectResult | null> {
  const { reprojectFile } = await (warpCode ??= import('./reproject.ts'));
  if ('warm' in task) return null;
  return reprojectFile(task.input, task.output, task.options);
}
