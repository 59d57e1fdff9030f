// Fault injection for the local provider: blocks it pretends not to have, blocks whose bytes it
// corrupts, and a delay before every response. Mutable while serving, so tests can flip them.
export interface Faults {
  /** CIDs (as strings) answered as not found. */
  missing: Set<string>;
  /** CIDs whose bytes are served with one byte flipped. */
  corrupt: Set<string>;
  /** Delay before each block/response, in ms. */
  delayMs: number;
}

export interface FaultOptions {
  missing?: Iterable<string>;
  corrupt?: Iterable<string>;
  delayMs?: number;
}

export const makeFaults = (o: FaultOptions = {}): Faults => ({
  missing: new Set(o.missing ?? []),
  corrupt: new Set(o.corrupt ?? []),
  delayMs: o.delayMs ?? 0,
});

export function corrupted(bytes: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(bytes);
  if (copy.length === 0) return Uint8Array.of(0);
  copy[copy.length >> 1] = (copy[copy.length >> 1] ?? 0) ^ 0xff;
  return copy;
}
