import type { CID } from 'multiformats/cid';

/** Where blocks come from. `get` returns the raw block bytes (the caller verifies them) or throws. */
export interface BlockSource {
  /** For error messages: `gateway http://127.0.0.1:8080`, `kubo http://...`. */
  readonly name: string;
  get(cid: CID, signal: AbortSignal): Promise<Uint8Array>;
  close?(): Promise<void>;
}

/** The block is not at this source (a 404, "not found"): worth trying elsewhere, and later. */
export class BlockMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlockMissingError';
  }
}
