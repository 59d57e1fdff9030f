// Bulk work on a thread of its own yields the cores to the event loop. On 2 cores the two warp threads and
// the main thread (the services' handlers, the chipper's clips) contend; at equal priority a tile's chips
// waited for their clips while the next tile was warped, and clipped after the last warp, one core idle.
// Linux only (a thread has its own nice value there); elsewhere threads keep the process's priority.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * How much nicer a warp thread is than its process. At 5 (a scheduler weight of a third of the event loop's),
 * two warp threads weigh less than the event loop, so on 2 cores it keeps one to itself; measured as fast as
 * 10, which would leave warps a tenth of a core shared with another busy process (a CI neighbour, say).
 */
export const WARP_THREAD_NICENESS = 5;

/** The calling thread's id on Linux (its /proc/thread-self), or null elsewhere. */
export function currentThreadId(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/**
 * Lower the calling thread's CPU priority by `by` nice steps (at most to 19); returns its new nice value, or
 * null where a thread's priority cannot be set on its own. Raising it back needs privileges, so this is done
 * once, at a worker thread's start.
 */
export function lowerThreadPriority(by: number): number | null {
  const tid = currentThreadId();
  if (tid === null) return null;
  try {
    const nice = Math.min(19, getPriority(tid) + by);
    setPriority(tid, nice);
    return nice;
  } catch {
    return null;
  }
}
