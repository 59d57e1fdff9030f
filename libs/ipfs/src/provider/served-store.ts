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

  /**
   * The blocks of `dag-scope=entity` under `root`, depth first, each once (`dups=n`): for a UnixFS file the
   * root, the internal nodes on the way and the leaves whose bytes overlap `range` (inclusive; the whole
   * file without one); for anything else (a directory) the root block only. Blocks go through getBlock, so
   * the faults apply to them like to every other answer.
   */
  async *entityBlocks(
    root: CID,
    rootBytes: Uint8Array,
    range: { from: number; to: number } | undefined,
    signal?: AbortSignal,
  ): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
    const seen = new Set<string>();
    const walk = async function* (this: ServedStore, cid: CID, at: number): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
      const id = cid.toString();
      // The root was fetched (faults and all) by the caller, to answer 404 before any byte of the CAR.
      const bytes = cid === root ? rootBytes : await this.getBlock(cid, signal);
      if (!seen.has(id)) {
        seen.add(id);
        yield { cid, bytes };
      }
      if (cid.code !== CODEC_DAG_PB) return;
      let node: dagPb.PBNode;
      let fs: UnixFS;
      try {
        node = dagPb.decode(bytes);
        fs = UnixFS.unmarshal(node.Data ?? new Uint8Array());
      } catch {
        return; // corrupt (a fault): served as is, the client finds out by hashing it
      }
      if (fs.type !== 'file' && fs.type !== 'raw') return;
      let pos = at + (fs.data?.length ?? 0);
      for (const [i, l] of node.Links.entries()) {
        const start = pos;
        pos += Number(fs.blockSizes[i] ?? 0);
        if (range && (pos <= range.from || start > range.to)) continue;
        yield* walk.call(this, l.Hash, start);
      }
    };
    yield* walk.call(this, root, 0);
  }

  /**
   * What a root block is, from bytes already fetched: a file ('raw' block or UnixFS file, with its size) or
   * something else. Bytes that do not decode (a corrupt fault) are 'other': the client finds out by hashing.
   */
  static describe(root: CID, bytes: Uint8Array): { kind: 'file'; size: number } | { kind: 'other' } {
    if (root.code === CODEC_RAW) return { kind: 'file', size: bytes.length };
    if (root.code !== CODEC_DAG_PB) return { kind: 'other' };
    try {
      const fs = UnixFS.unmarshal(dagPb.decode(bytes).Data ?? new Uint8Array());
      return fs.type === 'file' || fs.type === 'raw' ? { kind: 'file', size: Number(fs.fileSize()) } : { kind: 'other' };
    } catch {
      return { kind: 'other' };
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
