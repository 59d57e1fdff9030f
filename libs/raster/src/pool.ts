// A pool of worker threads that reproject whole files, sized to the cores by default.
import { availableParallelism } from 'node:os';
import { sendablePlan, type ReprojectOptions, type ReprojectResult } from './reproject.ts';
import type { ReprojectTask } from './reproject-worker.ts';

export interface ReprojectPool {
  readonly threads: number;
  reproject(input: string, output: string, options?: ReprojectOptions): Promise<ReprojectResult>;
  /**
   * Starts every thread now (each loads the warp code, about 0.5 s of CPU), so the first bands do not wait
   * for it; threads left idle still stop after the idle timeout.
   */
  warm(): Promise<void>;
  close(): Promise<void>;
}

/** The threads of a pool asked for `threads`: 0 means one per core. */
export const reprojectThreads = (threads: number): number => (threads > 0 ? threads : availableParallelism());

/** `threads` 0 or absent: one per core. Worker files are .ts, run by Node 22's type stripping. */
export function createReprojectPool(threads = 0): ReprojectPool {
  const n = reprojectThreads(threads);
  // piscina is loaded only when a pool is made: processes that never make one (CLI, chipper) skip its load time.
  const started = import('piscina').then(({ Piscina }) => new Piscina<ReprojectTask | { warm: true }, ReprojectResult | null>({
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
    // A chips-mode plan crosses without its exact transform (a function), which the thread makes again.
    reproject: async (input, output, options = {}) =>
      (await started).run({ input, output, options: options.plan ? { ...options, plan: sendablePlan(options.plan) } : options }) as Promise<ReprojectResult>,
    // One task per thread, all at once: piscina starts a thread for each task no idle thread takes.
    warm: async () => {
      const p = await started;
      await Promise.all(Array.from({ length: n }, () => p.run({ warm: true })));
    },
    close: async () => (await started).destroy(),
  };
}
