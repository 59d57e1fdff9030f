// A feature whose own id cannot be used (missing, unsafe, a repeat) still counts as one chip of the run,
// rejected with its reason: it gets a stand-in chip id from its place in the payload.
import { ChipId } from '@hls/contracts';

/** `feature-<index>`, suffixed until it is none of `taken` (the payload's own ids and earlier stand-ins). */
export function standInChipId(index: number, taken: ReadonlySet<string>): ChipId {
  const base = `feature-${index < 0 ? 'unknown' : index}`;
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return ChipId(id);
}
