import { HlsError } from '@hls/common';
import type { CID } from 'multiformats/cid';

/** Where blocks come from. `get` returns the raw block bytes (the caller verifies them) or throws. */
export interface BlockSource {
  /** For error messages: `gateway http://127.0.0.1:8080`, `kubo http://...`. */
  readonly name: string;
  /**
   * The block's bytes, never holding more than `maxBytes` of it (what the block can be: the size its parent
   * gives, else the configured cap): a larger answer throws BlockTooLargeError.
   */
  get(cid: CID, signal: AbortSignal, maxBytes: number): Promise<Uint8Array>;
  /**
   * Optional: in one request, the blocks needed to verify and read bytes `from`..`to` (inclusive; `*` is the
   * end of the file) of the UnixFS file `root`, as the source sent them: unverified, the caller hashes every
   * one. The body is never held past `maxBytes` (BlockTooLargeError). Throws RangeUnsupportedError when the
   * source does not serve such requests, BlockMissingError when it lacks the root.
   */
  getRange?(root: CID, range: { from: number; to: number | '*' }, signal: AbortSignal, maxBytes: number): Promise<RangeBlocks>;
  close?(): Promise<void>;
}

/** The blocks of one ranged answer (a CAR) and the URL that gave them (for error messages). */
export interface RangeBlocks {
  url: string;
  blocks: Array<{ cid: CID; bytes: Uint8Array }>;
}

/** The source does not serve ranged CARs (HTTP 400/501, or no CAR in the answer): blocks come one by one. */
export class RangeUnsupportedError extends HlsError {
  constructor(message: string) {
    super('range-unsupported', message, { retryable: false });
  }
}

/** The block is not at this source (a 404, "not found"): worth trying elsewhere, and later. */
export class BlockMissingError extends HlsError {
  constructor(message: string) {
    super('block-missing', message, { retryable: true });
  }
}

/** A source answered with more bytes than the block can have: cut off, never buffered whole. */
export class BlockTooLargeError extends HlsError {
  constructor(message: string) {
    super('block-too-large', message, { retryable: false });
  }
}
