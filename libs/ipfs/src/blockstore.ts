// Blockstores: a persistent one on disk (one file per block, keyed by multihash like Kubo's flatfs, so the
// raw and dag-pb CIDs of the same bytes share a file) and an in-memory one. Writes go to a temp name and
// are renamed, so a killed process never leaves a truncated block behind.
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { HlsError } from '@hls/common';
import { base32 } from 'multiformats/bases/base32';
import type { CID } from 'multiformats/cid';

export type BlockInput = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

export interface BlockStore {
  put(cid: CID, bytes: BlockInput): Promise<CID>;
  /** The block's bytes; throws BlockNotFoundError when absent. */
  get(cid: CID): Promise<Uint8Array>;
  has(cid: CID): Promise<boolean>;
}

/** Not in this store (yet): another fetch may still put it there. */
export class BlockNotFoundError extends HlsError {
  readonly cid: string;
  constructor(cid: CID) {
    super('block-not-found', `block not found: ${cid.toString()}`, { retryable: true });
    this.cid = cid.toString();
  }
}

export async function collectBytes(input: BlockInput): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input;
  const parts: Uint8Array[] = [];
  for await (const p of input as AsyncIterable<Uint8Array>) parts.push(p);
  return Buffer.concat(parts);
}

const keyOf = (cid: CID): string => base32.encode(cid.multihash.bytes).slice(1).toUpperCase();

export class FsBlockStore implements BlockStore {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }
  private pathOf(cid: CID): { dir: string; file: string } {
    const key = keyOf(cid);
    // Kubo's next-to-last/2 sharding: the two characters before the last one.
    const shard = join(this.dir, key.slice(-3, -1));
    return { dir: shard, file: join(shard, `${key}.data`) };
  }
  async put(cid: CID, input: BlockInput): Promise<CID> {
    const { dir, file } = this.pathOf(cid);
    if (await this.has(cid)) return cid;
    const bytes = await collectBytes(input);
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
    return cid;
  }
  async get(cid: CID): Promise<Uint8Array> {
    try {
      return await readFile(this.pathOf(cid).file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new BlockNotFoundError(cid);
      throw e;
    }
  }
  async has(cid: CID): Promise<boolean> {
    try {
      await stat(this.pathOf(cid).file);
      return true;
    } catch {
      return false;
    }
  }
}

export class MemoryBlockStore implements BlockStore {
  private readonly blocks = new Map<string, Uint8Array>();
  async put(cid: CID, input: BlockInput): Promise<CID> {
    this.blocks.set(keyOf(cid), await collectBytes(input));
    return cid;
  }
  async get(cid: CID): Promise<Uint8Array> {
    const b = this.blocks.get(keyOf(cid));
    if (!b) throw new BlockNotFoundError(cid);
    return b;
  }
  async has(cid: CID): Promise<boolean> {
    return this.blocks.has(keyOf(cid));
  }
  get size(): number {
    return this.blocks.size;
  }
}

/** Discards blocks: for computing a CID without storing anything. */
export const nullBlockStore: Pick<BlockStore, 'put'> = {
  put: async (cid: CID, input: BlockInput) => {
    if (!(input instanceof Uint8Array)) await collectBytes(input);
    return cid;
  },
};
