// A worker thread kept for jobs: the event loop's side (JobThread) posts a job and awaits its answer; the
// thread's side (serveJobs) answers each in turn. The thread is started once and reused, so its start (its
// isolate, its modules) is paid before the first job, not in it. An idle thread does not hold its process
// open; one holding a job, or closing, does.
import { parentPort, Worker } from 'node:worker_threads';
import { HlsError, systemErrorCode } from './errors.ts';

/** A failure crossing the thread boundary: enough to classify it as the event loop's own would be. */
export interface ThreadError {
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
function threadError(e: unknown): ThreadError {
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
function reviveThreadError(e: ThreadError): Error {
  const cause = e.systemCode ? Object.assign(new Error(e.systemCode), { code: e.systemCode }) : undefined;
  if (e.retryable !== undefined) return new HlsError(e.code ?? 'job-thread', e.message, { retryable: e.retryable, cause });
  const err = Object.assign(new Error(e.message, cause ? { cause } : undefined), e.code ? { code: e.code } : {});
  err.name = e.name;
  return err;
}

type Reply<R> = { id: number; result: R } | { id: number; error: ThreadError } | { closed: true };

export interface JobThreadOptions {
  /** What the thread is, for errors: "the clip thread". */
  name: string;
  /** Given to the thread as workerData. */
  workerData?: unknown;
}

export class JobThread<Job, Result> {
  readonly #worker: Worker;
  readonly #name: string;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (r: Result) => void; reject: (e: Error) => void }>();
  #dead: string | undefined;
  #closed: (() => void) | undefined;
  /** Jobs the thread has answered (done or failed). */
  done = 0;

  /** `file`: the thread's module, which calls serveJobs. */
  constructor(file: URL, o: JobThreadOptions) {
    this.#name = o.name;
    // geotiff.js's `web-worker` reads workerData.mod in any worker thread: an object without it keeps it off.
    this.#worker = new Worker(file, { workerData: o.workerData ?? {} });
    this.#worker.unref();
    this.#worker.on('message', (m: Reply<Result>) => {
      if ('closed' in m) return this.#closed?.();
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      this.done++;
      if (this.#pending.size === 0) this.#worker.unref();
      if ('error' in m) p?.reject(reviveThreadError(m.error));
      else p?.resolve(m.result);
    });
    const die = (why: string): void => {
      this.#dead ??= why;
      for (const p of this.#pending.values()) p.reject(new Error(`${this.#name} stopped: ${why}`));
      this.#pending.clear();
      this.#closed?.();
    };
    this.#worker.on('error', (e) => die(e.message));
    this.#worker.on('exit', (code) => die(`exit code ${code}`));
  }

  /** True when the thread is up and holds no job: a job given now starts at once (CPU allowing). */
  get free(): boolean {
    return this.#pending.size === 0 && this.#dead === undefined;
  }

  /** Why the thread stopped, or undefined while it runs. */
  get stopped(): string | undefined {
    return this.#dead;
  }

  /** Run one job on the thread; jobs given while it holds one wait their turn there. */
  run(job: Job): Promise<Result> {
    if (this.#dead !== undefined) return Promise.reject(new Error(`${this.#name} stopped: ${this.#dead}`));
    const id = this.#next++;
    this.#worker.ref();
    return new Promise<Result>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, job });
    });
  }

  /** Let the thread release what it holds (serveJobs' onClose), then stop it. */
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

/**
 * The thread's side: answer each job with `handle`'s result or its error (as threadError), one at a time in
 * the order given; at close, `onClose` first.
 */
export function serveJobs<Job, Result>(handle: (job: Job) => Promise<Result>, onClose?: () => Promise<void>): void {
  const port = parentPort;
  if (!port) throw new Error('serveJobs runs in a worker thread');
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (m: { id: number; job: Job } | { close: true }) => {
    queue = queue.then(async () => {
      if ('close' in m) {
        await onClose?.();
        port.postMessage({ closed: true });
        return;
      }
      try {
        port.postMessage({ id: m.id, result: await handle(m.job) });
      } catch (e) {
        port.postMessage({ id: m.id, error: threadError(e) });
      }
    });
  });
}
