// Ranged reads of a UnixFS file by CID: only the blocks whose bytes overlap a range are fetched. The walk
// starts at the root and descends only into children whose byte span (from the node's UnixFS blockSizes)
// overlaps the range; every block is verified against its CID by the fetcher before its bytes are used, and
// its shape is checked against what its parent says (a leaf's length, a node's file size). Blocks fetched
// are kept for the life of the open file (internal nodes always, leaves up to a byte budget), and a block
// already in flight is awaited rather than asked for again, so the chips of one tile share their blocks.
// When a source serves ranged CARs (a trustless gateway), a read whose range needs several blocks not held
// yet asks for all of them in one request first; the verified blocks seed the walk, which fetches the ones
// the answer lacked block by block and checks the shape of every one as usual.
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import type { CID } from 'multiformats/cid';
import { CODEC_DAG_PB, CODEC_RAW } from './cid.ts';
import { allOrAbort } from './all-or-abort.ts';
import { UnsupportedDagError, describeContext, errorMessage, type FetchContext } from './errors.ts';

/** What the ranged reader needs of a Fetcher: one verified block (hash and codec checked), or a throw. */
export type VerifiedBlockGetter = (cid: CID, req: { root: string; context?: FetchContext; signal?: AbortSignal; maxBytes?: number }) => Promise<Uint8Array>;

/** What the ranged reader can use of a Fetcher to get the blocks of a byte range in one request. */
export interface VerifiedRangeGetter {
  /** False when no source serves ranged requests (any more): blocks are fetched one by one. */
  available(): boolean;
  /**
   * Verified blocks (hash and codec) for bytes `from`..`to` (inclusive) of the file `root`, possibly missing
   * some or holding others; undefined when no source served it. Throws when a block does not verify.
   */
  get(root: CID, from: number, to: number, req: { root: string; context?: FetchContext; signal?: AbortSignal }): Promise<Array<{ cid: CID; bytes: Uint8Array }> | undefined>;
}

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
  /**
   * Blocks fetched from the sources so far (root, internal nodes and leaves; cache hits not counted). Every
   * block of a ranged CAR counts, the root it always repeats and any extra ones included.
   */
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
export async function openRangedFile(root: CID, getBlock: VerifiedBlockGetter, o: OpenFileOptions = {}, ranges?: VerifiedRangeGetter): Promise<RangedFile> {
  const f = new UnixFsRangedFile(root, getBlock, o, ranges);
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
  readonly #ranges: VerifiedRangeGetter | undefined;
  /** Verified blocks of ranged answers not yet taken by a walk, by CIDv1 (a gateway may answer v0 links as v1). */
  readonly #seeded = new Map<string, Uint8Array>();

  constructor(root: CID, getBlock: VerifiedBlockGetter, o: OpenFileOptions, ranges?: VerifiedRangeGetter) {
    this.#root = root;
    this.cid = root.toString();
    this.#get = getBlock;
    this.#ranges = ranges;
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
    const release = this.#ranges?.available() ? await this.#prefetch(offset, length, s) : undefined;
    try {
      await this.#fill(this.#root, 0, undefined, undefined, offset, out, s, inner);
    } finally {
      release?.();
    }
    return out;
  }

  /**
   * Ask for the blocks of `offset`+`length` in one ranged request when more than one is not held yet (or a
   * node on the way is not known yet, so how many is unknown); one block alone is asked for as before. The
   * blocks known to be needed are in flight meanwhile: a read at the same time awaits them rather than asking
   * again, and each one the answer lacks is then fetched on its own. The blocks stay seeded until the read
   * is done (the walk takes them); `release` then drops the rest, caching the leaves within the budget.
   */
  async #prefetch(offset: number, length: number, signal: AbortSignal): Promise<() => void> {
    const mine = new Map<string, CID>();
    let done = false;
    const seed = (cid: CID, bytes: Uint8Array): void => {
      if (done) {
        if (cid.code === CODEC_RAW) this.#keep(cid.toString(), bytes);
        return;
      }
      const key = seedKey(cid);
      this.#seeded.set(key, bytes);
      mine.set(key, cid);
    };
    const release = (): void => {
      done = true;
      for (const [key, cid] of mine) {
        const bytes = this.#seeded.get(key);
        if (!bytes) continue;
        this.#seeded.delete(key);
        if (cid.code === CODEC_RAW) this.#keep(cid.toString(), bytes);
      }
    };
    const need = this.#missing(offset, offset + length);
    if (need.blocks.length < 2 && !need.unknownNode) return release;
    const ranges = this.#ranges as VerifiedRangeGetter;
    const answer = ranges.get(this.#root, offset, offset + length - 1, { root: this.cid, ...(this.#context ? { context: this.#context } : {}), signal }).then((blocks) => {
      for (const b of blocks ?? []) {
        this.blocksFetched++;
        this.bytesFetched += b.bytes.length;
        if (!this.#nodes.has(b.cid.toString())) seed(b.cid, b.bytes); // the root is known since opening
      }
    });
    for (const n of need.blocks) {
      const id = n.cid.toString();
      const promise = answer.then(async () => {
        const held = this.#seeded.get(seedKey(n.cid));
        if (held) return held;
        const bytes = await this.#fetch(n.cid, n.maxBytes, signal);
        seed(n.cid, bytes);
        return bytes;
      });
      // Awaited by the walk of this read or another; unobserved when this read fails first.
      promise.catch(() => undefined);
      this.#inflight.set(id, { promise, signal });
      void promise
        .finally(() => {
          if (this.#inflight.get(id)?.promise === promise) this.#inflight.delete(id);
        })
        .catch(() => undefined);
    }
    await answer;
    return release;
  }

  /**
   * The blocks a range needs that are neither held, nor in flight, nor seeded, as far as the known nodes
   * tell; `unknownNode` when one of them is a node (its children are not known yet).
   */
  #missing(want: number, wantEnd: number): { blocks: Array<{ cid: CID; maxBytes: number | undefined }>; unknownNode: boolean } {
    const out = { blocks: [] as Array<{ cid: CID; maxBytes: number | undefined }>, unknownNode: false };
    const root = this.#nodes.get(this.cid);
    if (!root) return { ...out, unknownNode: true };
    const listed = new Set<string>();
    const visit = (node: Node, at: number): void => {
      for (const c of node.children) {
        const s = at + c.start;
        if (s >= wantEnd || s + c.size <= want) continue;
        const id = c.cid.toString();
        const known = this.#nodes.get(id);
        if (known) {
          visit(known, s);
          continue;
        }
        if (this.#leaves.has(id) || this.#inflight.has(id) || this.#seeded.has(seedKey(c.cid)) || listed.has(id)) continue;
        listed.add(id);
        if (c.cid.code === CODEC_RAW) {
          out.blocks.push({ cid: c.cid, maxBytes: c.size });
        } else {
          out.blocks.push({ cid: c.cid, maxBytes: c.tsize !== undefined && c.tsize > 0 ? c.tsize : undefined });
          out.unknownNode = true;
        }
      }
    };
    visit(root, 0);
    return out;
  }

  close(): void {
    this.#seeded.clear();
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
    // From a ranged answer (left there until its read is done, for the reads at the same time).
    const seeded = this.#seeded.get(seedKey(cid));
    if (seeded) return seeded;
    const promise = this.#fetch(cid, maxBytes, signal);
    this.#inflight.set(id, { promise, signal });
    try {
      return await promise;
    } finally {
      if (this.#inflight.get(id)?.promise === promise) this.#inflight.delete(id);
    }
  }

  /** One verified block from the sources, counted. */
  async #fetch(cid: CID, maxBytes: number | undefined, signal: AbortSignal | undefined): Promise<Uint8Array> {
    const bytes = await this.#get(cid, { root: this.cid, ...(this.#context ? { context: this.#context } : {}), ...(signal ? { signal } : {}), ...(maxBytes !== undefined ? { maxBytes } : {}) });
    this.blocksFetched++;
    this.bytesFetched += bytes.length;
    return bytes;
  }
}

const seedKey = (cid: CID): string => cid.toV1().toString();

