// Ranged reads of a band file (issue 17): a caller that knows which byte ranges it needs (a COG's header,
// then the compressed tiles under its chips) reads only those, from whichever source serves the band.
// Each source verifies what it can: local files are read in place; HTTPS answers must be 206 with the exact
// Content-Range asked (or a 200 that is sliced); IPFS blocks are hashed against their CIDs.
import type { BandSourceName } from '@hls/contracts';

export interface ByteRange {
  offset: number;
  length: number;
}

export interface RangedBand {
  source: BandSourceName;
  /** The whole file's size in bytes. */
  size: number;
  /** The file's CID (ipfs). */
  cid?: string;
  /** Bytes of each range, in order, each verified as the source allows; throws BandSourceError. */
  read(ranges: readonly ByteRange[], signal?: AbortSignal): Promise<Uint8Array[]>;
  /**
   * Bytes transferred from the source so far: local, bytes read; HTTPS, response body bytes (a 200 that
   * ignored Range counts what was received of it); IPFS, the whole verified blocks fetched, DAG nodes included.
   */
  bytesRead(): number;
  close(): Promise<void>;
}

/** What is wrong with `ranges` for a file of `size` bytes (one line), or undefined. */
export function rangesProblem(ranges: readonly ByteRange[], size: number): string | undefined {
  for (const r of ranges) {
    if (!Number.isSafeInteger(r.offset) || !Number.isSafeInteger(r.length) || r.offset < 0 || r.length < 0) return `bad range ${r.offset}+${r.length}`;
    if (r.offset + r.length > size) return `range ${r.offset}+${r.length} runs past the end of the ${size}-byte file`;
  }
  return undefined;
}
