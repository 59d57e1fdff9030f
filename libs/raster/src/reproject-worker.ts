// Piscina worker: one task = one file reprojected (read, warp, write) off the main thread.
import { reprojectFile } from './reproject.ts';
import type { ReprojectOptions, ReprojectResult } from './reproject.ts';

export interface ReprojectTask {
  input: string;
  output: string;
  options: ReprojectOptions;
}

export default function reprojectTask(task: ReprojectTask): Promise<ReprojectResult> {
  return reprojectFile(task.input, task.output, task.options);
}
