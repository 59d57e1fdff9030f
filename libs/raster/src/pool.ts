// A pool of worker threads that reproject whole files, sized to the cores by default.
import { availableParallelism } from 'node:os';
import type { ReprojectOptions, ReprojectResult } from './reproject.ts';
import type { ReprojectTask } from './reproject-worker.ts';

export interface ReprojectPool {
  readonly threads: number;
  reproject(input: string, output: string, options?: ReprojectOptions): Promise<ReprojectResult>;
  close(): Promise<void>;
}

/** `threads` 0 or absent: one per core. Worker files are .ts, run by Node 22's type stripping. */
export function createReprojectPool(threads = 0): ReprojectPool {
  const n = threads > 0 ? threads : availableParallelism();
  // piscina is loaded only when a pool is made: processes that never make one (CLI, chipper) skip its load time.
  const started = import('piscina').then(({ Piscina }) => new Piscina<ReprojectTask, ReprojectResult>({
    filename: new URL('./reproject-worker.ts', import.meta.url).href,
    minThreads: 0,
    maxThreads: n,
    idleTimeout: 30_000,
    // geotiff.js pulls in `web-worker`, which on import in any worker thread destructures
    // worker_threads' workerData.mod; an empty object makes it fall back to its main-thread behaviour.
    workerData: {},
  }));
  return {
    threads: n,
    reproject: async (input, output, options = {}) => (await started).run({ input, output, options }),
    close: async () => (await started).destroy(),
  };
}
