// The provider's view of its blockstore with faults applied, plus the DAG walks that `cat`, the
// gateway's file answer and CAR export need.
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import type { CID } from 'multiformats/cid';
import { BlockNotFoundError, type BlockStore } from '../blockstore.ts';
import { CODEC_DAG_PB, CODEC_RAW } from '../cid.ts';
import { sleep } from '@hls/common';
import { corrupted, type Faults } from './faults.ts';

export class ServedStore {
  readonly store: BlockStore;
  readonly faults: Faults;
  /** Blocks served, per CID string (tests use it to see what a resume re-fetched). */
  readonly served = new Map<string, number>();
  constructor(store: BlockStore, faults: Faults) {
    this.store = store;
    this.faults = faults;
  }
  async getBlock(cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
    const id = cid.toString();
    if (this.faults.delayMs > 0) await sleep(this.faults.delayMs, signal);
    if (this.faults.missing.has(id)) throw new BlockNotFoundError(cid);
    const bytes = await this.store.get(cid);
    this.served.set(id, (this.served.get(id) ?? 0) + 1);
    return this.faults.corrupt.has(id) ? corrupted(bytes) : bytes;
  }
  servedCount(): number {
    let n = 0;
    for (const v of this.served.values()) n += v;
    return n;
  }

  /** Every block of the DAG under `root`, depth first, links in order (CAR order). */
  async *blocks(root: CID, signal?: AbortSignal): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
    const bytes = await this.getBlock(root, signal);
    yield { cid: root, bytes };
    if (root.code === CODEC_DAG_PB) {
      for (const l of dagPb.decode(bytes).Links) yield* this.blocks(l.Hash, signal);
    }
  }

  /** File bytes under `root` in order; throws on a directory. */
  async *fileBytes(root: CID, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const bytes = await this.getBlock(root, signal);
    if (root.code === CODEC_RAW) {
      yield bytes;
      return;
    }
    if (root.code !== CODEC_DAG_PB) throw new Error(`${root}: not a UnixFS file (codec 0x${root.code.toString(16)})`);
    const node = dagPb.decode(bytes);
    const fs = UnixFS.unmarshal(node.Data ?? new Uint8Array());
    if (fs.type !== 'file' && fs.type !== 'raw') throw new Error(`${root} is a UnixFS ${fs.type}, not a file`);
    if (fs.data && fs.data.length > 0) yield fs.data;
    for (const l of node.Links) yield* this.fileBytes(l.Hash, signal);
  }

  async fileSize(root: CID): Promise<number> {
    const bytes = await this.store.get(root);
    if (root.code === CODEC_RAW) return bytes.length;
    return Number(UnixFS.unmarshal(dagPb.decode(bytes).Data ?? new Uint8Array()).fileSize());
  }
}
