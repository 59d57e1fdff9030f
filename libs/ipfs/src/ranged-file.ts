// Ranged reads of a UnixFS file by CID: only the blocks whose bytes overlap a range are fetched. The walk
// starts at the root and descends only into children whose byte span (from the node's UnixFS blockSizes)
// overlaps the range; every block is verified against its CID by the fetcher before its bytes are used, and
// its shape is checked against what its parent says (a leaf's length, a node's file size). Blocks fetched
// are kept for the life of the open file (internal nodes always, leaves up to a byte budget), and a block
// already in flight is awaited rather than asked for again, so the chips of one tile share their blocks.
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import type { CID } from 'multiformats/cid';
import { CODEC_DAG_PB, CODEC_RAW } from './cid.ts';
import { allOrAbort } from './all-or-abort.ts';
import { UnsupportedDagError, describeContext, errorMessage, type FetchContext } from './errors.ts';

/** What the ranged reader needs of a Fetcher: one verified block (hash and codec checked), or a throw. */
export type VerifiedBlockGetter = (cid: CID, req: { root: string; context?: FetchContext; signal?: AbortSignal; maxBytes?: number }) => Promise<Uint8Array>;

export interface OpenFileOptions {
  context?: FetchContext;
  signal?: AbortSignal;
  /** Leaf bytes kept between reads (least recently used dropped first); default 64 MiB. Internal nodes are always kept. */
  cacheBytes?: number;
}

export interface RangedFile {
  readonly cid: string;
  /** The file's size in bytes (from the root block). */
  readonly size: number;
  /** `length` bytes from `offset`, assembled from verified blocks; a range outside the file throws a RangeError naming the CID. */
  read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** Blocks fetched from the sources so far (root, internal nodes and leaves; cache hits not counted). */
  readonly blocksFetched: number;
  /** Bytes of those blocks. */
  readonly bytesFetched: number;
  /** Drops the cached blocks. */
  close(): void;
}

interface Node {
  /** File bytes under the node. */
  size: number;
  /** UnixFS data held in the node itself (before its children's bytes). */
  data: Uint8Array;
  children: Array<{ cid: CID; start: number; size: number; tsize: number | undefined }>;
}

/** Open `root` for ranged reads: fetches and checks the root block only. */
export async function openRangedFile(root: CID, getBlock: VerifiedBlockGetter, o: OpenFileOptions = {}): Promise<RangedFile> {
  const f = new UnixFsRangedFile(root, getBlock, o);
  await f.open(o.signal);
  return f;
}

class UnixFsRangedFile implements RangedFile {
  readonly cid: string;
  size = 0;
  blocksFetched = 0;
  bytesFetched = 0;
  readonly #root: CID;
  readonly #get: VerifiedBlockGetter;
  readonly #context: FetchContext | undefined;
  readonly #cacheBytes: number;
  readonly #nodes = new Map<string, Node>();
  /** Leaf bytes in least-recently-used order (a Map iterates in insertion order). */
  readonly #leaves = new Map<string, Uint8Array>();
  #leafBytes = 0;
  readonly #inflight = new Map<string, { promise: Promise<Uint8Array>; signal: AbortSignal | undefined }>();
  /** The root when it is a raw block (a one-block file). */
  #rawRoot: Uint8Array | undefined;

  constructor(root: CID, getBlock: VerifiedBlockGetter, o: OpenFileOptions) {
    this.#root = root;
    this.cid = root.toString();
    this.#get = getBlock;
    this.#context = o.context;
    this.#cacheBytes = o.cacheBytes ?? 64 * 1024 * 1024;
  }

  async open(signal?: AbortSignal): Promise<void> {
    if (this.#root.code === CODEC_RAW) {
      this.#rawRoot = await this.#block(this.#root, undefined, signal);
      this.size = this.#rawRoot.length;
      return;
    }
    const { size } = await this.#node(this.#root, undefined, undefined, signal);
    this.size = size;
  }

  async read(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.size) {
      throw new RangeError(`${this.cid}${describeContext(this.#context)}: range ${offset}+${length} is outside the ${this.size}-byte file`);
    }
    const out = new Uint8Array(length);
    if (length === 0) return out;
    if (this.#rawRoot) {
      out.set(this.#rawRoot.subarray(offset, offset + length));
      return out;
    }
    // One failed block ends the read: the other fetches of this read are aborted rather than left running.
    const inner = new AbortController();
    const s = signal ? AbortSignal.any([signal, inner.signal]) : inner.signal;
    await this.#fill(this.#root, 0, undefined, undefined, offset, out, s, inner);
    return out;
  }

  close(): void {
    this.#nodes.clear();
    this.#leaves.clear();
    this.#leafBytes = 0;
  }

  /** Copy into `out` (which starts at file offset `want`) the bytes of the block `cid`, which starts at `at`. */
  async #fill(cid: CID, at: number, expected: number | undefined, tsize: number | undefined, want: number, out: Uint8Array, signal: AbortSignal, inner: AbortController): Promise<void> {
    const wantEnd = want + out.length;
    const copy = (bytes: Uint8Array, from: number): void => {
      const a = Math.max(from, want);
      const b = Math.min(from + bytes.length, wantEnd);
      if (a < b) out.set(bytes.subarray(a - from, b - from), a - want);
    };
    if (cid.code === CODEC_RAW) {
      const bytes = await this.#leaf(cid, expected, signal);
      copy(bytes, at);
      return;
    }
    const node = await this.#node(cid, expected, tsize, signal);
    copy(node.data, at);
    const tasks = node.children
      .filter((c) => at + c.start < wantEnd && at + c.start + c.size > want)
      .map((c) => () => this.#fill(c.cid, at + c.start, c.size, c.tsize, want, out, signal, inner));
    await allOrAbort(tasks, inner);
  }

  async #leaf(cid: CID, expected: number | undefined, signal: AbortSignal): Promise<Uint8Array> {
    const id = cid.toString();
    let bytes = this.#leaves.get(id);
    if (bytes) {
      // Most recently used goes last.
      this.#leaves.delete(id);
      this.#leaves.set(id, bytes);
    } else {
      bytes = await this.#block(cid, expected, signal);
      this.#keep(id, bytes);
    }
    // A raw leaf is exactly its file bytes: the parent's size for it must match.
    if (expected !== undefined && bytes.length !== expected) {
      throw new UnsupportedDagError(this.cid, `leaf ${id} holds ${bytes.length} bytes, its parent says ${expected}`, this.#context);
    }
    return bytes;
  }

  #keep(id: string, bytes: Uint8Array): void {
    if (this.#leaves.has(id) || bytes.length > this.#cacheBytes) return;
    this.#leaves.set(id, bytes);
    this.#leafBytes += bytes.length;
    for (const [k, v] of this.#leaves) {
      if (this.#leafBytes <= this.#cacheBytes) break;
      this.#leaves.delete(k);
      this.#leafBytes -= v.length;
    }
  }

  async #node(cid: CID, expected: number | undefined, tsize: number | undefined, signal: AbortSignal | undefined): Promise<Node> {
    const id = cid.toString();
    const known = this.#nodes.get(id) ?? (await this.#fetchNode(cid, tsize, signal));
    if (expected !== undefined && known.size !== expected) throw new UnsupportedDagError(this.cid, `node ${id} holds ${known.size} bytes, its parent says ${expected}`, this.#context);
    return known;
  }

  async #fetchNode(cid: CID, tsize: number | undefined, signal: AbortSignal | undefined): Promise<Node> {
    const id = cid.toString();
    if (cid.code !== CODEC_DAG_PB) throw new UnsupportedDagError(this.cid, `block ${id} has codec 0x${cid.code.toString(16)}, not raw or dag-pb`, this.#context);
    const bytes = await this.#block(cid, tsize !== undefined && tsize > 0 ? tsize : undefined, signal);
    const pb = dagPb.decode(bytes);
    let fs: UnixFS;
    try {
      fs = UnixFS.unmarshal(pb.Data ?? new Uint8Array());
    } catch (e) {
      throw new UnsupportedDagError(this.cid, `block ${id} is not UnixFS: ${errorMessage(e)}`, this.#context);
    }
    if (fs.type !== 'file' && fs.type !== 'raw') throw new UnsupportedDagError(this.cid, `block ${id} is a UnixFS ${fs.type}, not a file (give the CID of a file)`, this.#context);
    if (pb.Links.length !== fs.blockSizes.length) throw new UnsupportedDagError(this.cid, `block ${id} has ${pb.Links.length} links but ${fs.blockSizes.length} block sizes`, this.#context);
    const data = fs.data ?? new Uint8Array();
    let pos = data.length;
    const children = pb.Links.map((l, i) => {
      const size = Number(fs.blockSizes[i]);
      const c = { cid: l.Hash, start: pos, size, tsize: l.Tsize };
      pos += size;
      return c;
    });
    // The spans must add up to the node's file size, or a range could be served from the wrong bytes.
    const size = Number(fs.fileSize());
    if (pos !== size) throw new UnsupportedDagError(this.cid, `node ${id} says ${size} bytes but its data and children hold ${pos}`, this.#context);
    const node = { size, data, children };
    this.#nodes.set(id, node);
    return node;
  }

  /** A verified block, fetched once even when several reads want it at the same time. */
  async #block(cid: CID, maxBytes: number | undefined, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const id = cid.toString();
    for (;;) {
      const running = this.#inflight.get(id);
      if (!running) break;
      try {
        return await running.promise;
      } catch (e) {
        // The read that started it was cancelled (not this one): fetch it for this read instead.
        if (running.signal?.aborted && !signal?.aborted) continue;
        throw e;
      }
    }
    const promise = this.#get(cid, { root: this.cid, ...(this.#context ? { context: this.#context } : {}), ...(signal ? { signal } : {}), ...(maxBytes !== undefined ? { maxBytes } : {}) }).then((bytes) => {
      this.blocksFetched++;
      this.bytesFetched += bytes.length;
      return bytes;
    });
    this.#inflight.set(id, { promise, signal });
    try {
      return await promise;
    } finally {
      if (this.#inflight.get(id)?.promise === promise) this.#inflight.delete(id);
    }
  }
}

