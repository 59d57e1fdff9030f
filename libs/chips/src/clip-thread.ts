// A thread that clips chips beside the event loop, at the lowest CPU priority: it takes only CPU that nothing
// else of the process wants. On 2 cores the warp threads and the event loop (the services' handlers, its own
// clips) keep both busy while a run warps, and the thread barely runs; once the last tile is warped, its chips
// were clipped on the event loop alone with one core idle (about 1 s of the demo world's chips mode), and the
// thread now takes that core. At equal or warp-like priority (nice 5) a clip thread was tried twice and dropped:
// it took the warps' CPU. A chip the thread holds while starved waits as it would have in the queue.
import { Worker } from 'node:worker_threads';
import { HlsError, systemErrorCode } from '@hls/common';
import type { ClipChipInput, ClipChipOptions, ClipChipResult } from './clip.ts';

/** The thread's nice value above its process's (Linux): 19, the least weight the scheduler gives (about 1.5 % of a nice-0 thread's). */
export const CLIP_THREAD_NICENESS = 19;

/** What a clip crossing the thread boundary failed with: enough to classify it as the event loop's clip would. */
export interface ClipThreadError {
  message: string;
  name: string;
  /** A Node system error code (ENOENT ...), or an HlsError's code. */
  code?: string;
  /** Set for an HlsError: its retryable flag. */
  retryable?: boolean;
  /** The Node system error code the error or one of its causes carries (a missing file under a read error). */
  systemCode?: string;
}

/** The error as its class says how to handle it: an HlsError's code and retryable flag, a system error's code. */
export function clipThreadError(e: unknown): ClipThreadError {
  if (!(e instanceof Error)) return { message: String(e), name: 'Error' };
  const code = (e as { code?: unknown }).code;
  const systemCode = systemErrorCode(e);
  return {
    message: e.message,
    name: e.name,
    ...(typeof code === 'string' ? { code } : {}),
    ...(e instanceof HlsError ? { retryable: e.retryable } : {}),
    ...(systemCode ? { systemCode } : {}),
  };
}

/** The error again on the event loop's side: its class's verdict and the system code under it survive. */
function revive(e: ClipThreadError): Error {
  const cause = e.systemCode ? Object.assign(new Error(e.systemCode), { code: e.systemCode }) : undefined;
  if (e.retryable !== undefined) return new HlsError(e.code ?? 'clip-thread', e.message, { retryable: e.retryable, cause });
  const err = Object.assign(new Error(e.message, cause ? { cause } : undefined), e.code ? { code: e.code } : {});
  err.name = e.name;
  return err;
}

/** A clip job as the thread takes it: the chip, and the options without the event loop's open files. */
export interface ClipThreadJob {
  runId: string;
  tileId: string;
  input: ClipChipInput;
  options: Omit<ClipChipOptions, 'cache'>;
}

type Reply = { id: number; result: ClipChipResult } | { id: number; error: ClipThreadError } | { closed: true };

export class ClipThread {
  readonly #worker: Worker;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (r: ClipChipResult) => void; reject: (e: Error) => void }>();
  #busy = false;
  #dead: string | undefined;
  /** Chips the thread has clipped (or failed on). */
  clipped = 0;
  #closed: (() => void) | undefined;

  constructor() {
    // geotiff.js's `web-worker` reads workerData.mod in any worker thread: an empty object keeps it off.
    this.#worker = new Worker(new URL('./clip-thread-worker.ts', import.meta.url), { workerData: {} });
    // An idle clip thread does not keep the process alive; one holding a chip does (see clip()).
    this.#worker.unref();
    this.#worker.on('message', (m: Reply) => {
      if ('closed' in m) return this.#closed?.();
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if ('error' in m) p?.reject(revive(m.error));
      else p?.resolve(m.result);
    });
    const die = (why: string): void => {
      this.#dead ??= why;
      for (const p of this.#pending.values()) p.reject(new Error(`the clip thread stopped: ${why}`));
      this.#pending.clear();
      this.#closed?.();
    };
    this.#worker.on('error', (e) => die(e.message));
    this.#worker.on('exit', (code) => die(`exit code ${code}`));
  }

  /** True when the thread is up and holds no chip: a chip given now starts at once (CPU allowing). */
  get free(): boolean {
    return !this.#busy && this.#dead === undefined;
  }

  /** Why the thread stopped, or undefined while it runs. */
  get stopped(): string | undefined {
    return this.#dead;
  }

  /** Clip one chip on the thread (it keeps the tile's band files open, as the event loop's TileRasters does). */
  async clip(job: ClipThreadJob): Promise<ClipChipResult> {
    if (this.#dead !== undefined) throw new Error(`the clip thread stopped: ${this.#dead}`);
    this.#busy = true;
    this.#worker.ref();
    try {
      const id = this.#next++;
      return await new Promise<ClipChipResult>((resolve, reject) => {
        this.#pending.set(id, { resolve, reject });
        this.#worker.postMessage({ id, ...job });
      });
    } finally {
      this.clipped++;
      this.#busy = false;
      this.#worker.unref();
    }
  }

  /** Close the thread's band files, then stop it. */
  async close(): Promise<void> {
    // Held while closing: at a service's stop nothing else may keep the event loop alive, and a process that
    // ran out of work here would exit before flushing its spans.
    this.#worker.ref();
    if (this.#dead === undefined) {
      const closed = new Promise<void>((r) => (this.#closed = r));
      this.#worker.postMessage({ close: true });
      await closed;
    }
    await this.#worker.terminate();
  }
}
