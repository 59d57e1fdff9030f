// A FIFO concurrency limiter (counting semaphore): at most `limit` tasks at once, waiters served in
// order, a waiter leaves the queue when its signal aborts. Records the peak for tests and benchmarks.
// Also the abortable sleep and jittered backoff that retry loops use with it.

const abortReason = (signal: AbortSignal | undefined): Error => (signal?.reason instanceof Error ? signal.reason : new Error('aborted'));

export class Limiter {
  readonly limit: number;
  #active = 0;
  #peak = 0;
  readonly #waiting: Array<() => void> = [];
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }
  /** Tasks running now. */
  get inFlight(): number {
    return this.#active;
  }
  /** Most tasks that ever ran at once. */
  get peak(): number {
    return this.#peak;
  }
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await fn();
    } finally {
      this.#release();
    }
  }
  #take(): void {
    this.#active++;
    this.#peak = Math.max(this.#peak, this.#active);
  }
  #acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#active < this.limit) {
      this.#take();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.#take();
        resolve();
      };
      const onAbort = (): void => {
        const i = this.#waiting.indexOf(go);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(abortReason(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(go);
    });
  }
  #release(): void {
    this.#active--;
    this.#waiting.shift()?.();
  }
}

/** Exponential backoff with jitter: a delay in [ceiling/2, ceiling], ceiling = min(maxMs, baseMs * 2^attempt). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Wait `ms`; rejects with the signal's reason (an Error) when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * `fn` for each item, started in order with at most `window` unfinished at once (publishes then wait for their
 * acknowledgements a window at a time, not one round trip each). Stops starting new ones after the first
 * failure, waits for those started, and rejects with that first failure.
 */
export async function forEachInWindow<T>(items: Iterable<T>, fn: (item: T) => Promise<unknown>, window = 64): Promise<void> {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, got ${window}`);
  const inflight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for (const item of items) {
    if (failure) break;
    const p: Promise<void> = fn(item).then(
      () => void inflight.delete(p),
      (error: unknown) => {
        inflight.delete(p);
        failure ??= { error };
      },
    );
    inflight.add(p);
    if (inflight.size >= window) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  if (failure) throw failure.error;
}
