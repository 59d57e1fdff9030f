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
  close?(): Promise<void>;
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
