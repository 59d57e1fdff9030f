// Verified, resumable retrieval of a UnixFS file by CID.
//
// Every block is fetched from the first source that delivers it (ordered fallback, per-request timeout,
// retries with backoff, one shared concurrency limit), hashed and checked against its CID before a single
// byte of it is written. Leaves are written at their offsets into `.<name>.<cid>.part` next to the final
// path; the part is fsynced and renamed only when the whole DAG is in. A killed download leaves only that
// part file, whose raw leaves are re-verified locally (hash against the leaf CID) and kept on the next try.
import { mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Limiter, backoffDelay, sleep } from '@hls/common';
import { LIMITS } from '@hls/contracts/domain';
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import type { CID } from 'multiformats/cid';
import { CODEC_DAG_PB, CODEC_RAW, hashMatches, parseCid, verifyBlock } from './cid.ts';
import {
  BlockVerificationError,
  CidUnavailableError,
  isUnreachable,
  UnsupportedDagError,
  errorMessage,
  type FetchContext,
} from './errors.ts';
import { allOrAbort } from './all-or-abort.ts';
import { importFile } from './importer.ts';
import { openRangedFile, type OpenFileOptions, type RangedFile } from './ranged-file.ts';
import { BlockTooLargeError, RangeUnsupportedError, type BlockSource } from './sources/types.ts';

export interface FetcherOptions {
  /** Tried in order for every block. */
  sources: BlockSource[];
  /** Per block request. */
  timeoutMs: number;
  /** Extra rounds over all sources after the first. */
  retries: number;
  /** Block requests in flight at once, over every file this fetcher handles. */
  concurrency: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Largest block taken when nothing gives its size (a root); default LIMITS.maxBlockBytes. */
  maxBlockBytes?: number;
}

export interface FetchProgress {
  cid: string;
  context: FetchContext | undefined;
  /** Bytes of the file in place (fetched or reused from a part file). */
  bytes: number;
  /** File size once the root is known. */
  total: number | undefined;
  blocksFetched: number;
  blocksReused: number;
}

export interface FetchOptions {
  context?: FetchContext;
  signal?: AbortSignal;
  onProgress?: (p: FetchProgress) => void;
}

export interface FetchResult {
  cid: string;
  path: string;
  bytes: number;
  blocksFetched: number;
  /** Leaves kept from an interrupted download. */
  blocksReused: number;
  /** The final file was already there and verified: nothing fetched. */
  reused: boolean;
}

interface BlockRequest {
  root?: string;
  context?: FetchContext;
  signal?: AbortSignal;
  /** What the block can be (its parent's size for it); capped by maxBlockBytes. */
  maxBytes?: number;
}

const MH_IDENTITY = 0x00;

/** The part file of a download: deterministic, CID in the name, so a resume never mixes two CIDs. */
export const partPathFor = (outPath: string, cid: string): string => join(dirname(outPath), `.${basename(outPath)}.${cid}.part`);

export class Fetcher {
  readonly limiter: Limiter;
  readonly sources: readonly BlockSource[];
  private readonly opts: Required<FetcherOptions>;
  /** Requests made (one per block, one per ranged CAR), per source name (tests and benchmarks read it). */
  readonly requests = new Map<string, number>();
  /** Sources that answered a ranged request as not supported, with their answer: not asked for ranges again. */
  readonly noRanges = new Map<BlockSource, string>();

  constructor(opts: FetcherOptions) {
    if (opts.sources.length === 0) throw new Error('an IPFS fetcher needs at least one backend');
    this.opts = { backoffBaseMs: 250, backoffMaxMs: 10_000, maxBlockBytes: LIMITS.maxBlockBytes, ...opts };
    this.sources = opts.sources;
    this.limiter = new Limiter(opts.concurrency);
  }

  /** One verified block: sources in order, rounds of retries with backoff; never returns unverified bytes. */
  async getBlock(cid: CID, req: BlockRequest = {}): Promise<Uint8Array> {
    const id = cid.toString();
    // An identity CID carries its block; any other is held to its parent's size for it, or the cap.
    const limit = cid.multihash.code === MH_IDENTITY ? cid.multihash.digest.length : Math.min(req.maxBytes ?? Infinity, this.opts.maxBlockBytes);
    const reasons: string[] = [];
    let unreachable = 0;
    const corruptAt = new Set<BlockSource>();
    let lastCorrupt: BlockVerificationError | undefined;
    for (let attempt = 0; attempt <= this.opts.retries; attempt++) {
      for (const source of this.sources) {
        if (corruptAt.has(source)) continue;
        req.signal?.throwIfAborted();
        const timeout = refDeadline(this.opts.timeoutMs);
        try {
          const bytes = await this.request(source, timeout.signal, req.signal, (signal) => source.get(cid, signal, limit));
          if (bytes.length > limit) throw new BlockTooLargeError(`${source.name}: ${bytes.length} bytes, over the block's limit of ${limit} bytes`);
          verifyBlock(cid, bytes, { root: req.root, context: req.context, source: source.name });
          return bytes;
        } catch (caught) {
          if (req.signal?.aborted) throw caught;
          // Too many bytes is a wrong answer, like a bad hash: this source is not asked again for the block.
          const e = caught instanceof BlockTooLargeError ? new BlockVerificationError(id, caught.message, { root: req.root, context: req.context, source: source.name }) : caught;
          if (e instanceof BlockVerificationError) {
            // The same source would send the same bad bytes: do not ask it again for this block.
            corruptAt.add(source);
            lastCorrupt = e;
            reasons.push(e.message);
          } else if (timeout.signal.aborted) {
            reasons.push(`${source.name}: timed out after ${this.opts.timeoutMs} ms`);
          } else {
            if (isUnreachable(e)) unreachable++;
            reasons.push(`${source.name}: ${errorMessage(e)}`);
          }
        } finally {
          timeout.clear();
        }
      }
      if (corruptAt.size === this.sources.length && lastCorrupt) throw lastCorrupt;
      if (attempt < this.opts.retries) await sleep(backoffDelay(attempt, this.opts.backoffBaseMs, this.opts.backoffMaxMs), req.signal);
    }
    throw new CidUnavailableError(id, reasons, { root: req.root, context: req.context, unreachable: unreachable === reasons.length });
  }

  /** One request to `source` under the concurrency limit, counted, ended by `timeout` or the caller's signal. */
  private request<T>(source: BlockSource, timeout: AbortSignal, outer: AbortSignal | undefined, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
    return this.limiter.run(() => {
      this.requests.set(source.name, (this.requests.get(source.name) ?? 0) + 1);
      return call(signal);
    }, outer);
  }

  /**
   * The sources asked for ranged CARs, in order: those that serve them, up to the first source that does
   * not (kubo, helia): a source listed earlier is preferred for blocks, and gets them one by one.
   */
  private rangeSources(): BlockSource[] {
    const out: BlockSource[] = [];
    for (const s of this.sources) {
      if (this.noRanges.has(s)) continue;
      if (!s.getRange) break;
      out.push(s);
    }
    return out;
  }

  /**
   * In one request, every block needed to read bytes `from`..`to` (inclusive) of the UnixFS file `root`,
   * each verified against its CID (hash and codec), from the first source that serves ranged CARs. A block
   * that does not verify throws BlockVerificationError naming it and the URL: a source that lies is not
   * papered over. Undefined when no source serves the range (none can, or they answered 400/501, no CAR,
   * more than the range needs, not found, an error): the caller then fetches the blocks one by one. The
   * answer may lack blocks the range needs, or hold others: the caller walks the DAG and fills the gaps.
   */
  async getRangeBlocks(root: CID, from: number, to: number, req: BlockRequest = {}): Promise<Array<{ cid: CID; bytes: Uint8Array }> | undefined> {
    // The leaves overlapping the range (two of them partly), the internal nodes on the way, CAR framing.
    const span = to - from + 1;
    const limit = span + Math.ceil(span / 16) + 3 * this.opts.maxBlockBytes;
    // As many block timeouts as the answer can hold blocks of the largest size.
    const timeoutMs = this.opts.timeoutMs * Math.ceil(limit / this.opts.maxBlockBytes);
    for (const source of this.rangeSources()) {
      const getRange = source.getRange?.bind(source);
      if (!getRange) continue;
      req.signal?.throwIfAborted();
      const timeout = refDeadline(timeoutMs);
      try {
        const car = await this.request(source, timeout.signal, req.signal, (signal) => getRange(root, { from, to }, signal, limit));
        for (const b of car.blocks) verifyBlock(b.cid, b.bytes, { root: req.root, context: req.context, source: `${source.name} (CAR ${car.url})` });
        return car.blocks;
      } catch (e) {
        if (req.signal?.aborted || e instanceof BlockVerificationError) throw e;
        // Not served there, or more bytes than the range can need (the range was ignored): never again.
        if (e instanceof RangeUnsupportedError || e instanceof BlockTooLargeError) this.noRanges.set(source, errorMessage(e));
        // Anything else (not found, timed out, a server error) is left to the block by block fetch and its retries.
      } finally {
        timeout.clear();
      }
    }
    return undefined;
  }

  /**
   * Retrieve `cid` into `outPath`. Skips the download when `outPath` already holds exactly these bytes.
   * Throws CidUnavailableError / BlockVerificationError / UnsupportedDagError; on any error nothing is at
   * `outPath` that was not there before.
   */
  async fetchToFile(cidInput: string | CID, outPath: string, o: FetchOptions = {}): Promise<FetchResult> {
    const cid = typeof cidInput === 'string' ? parseCid(cidInput) : cidInput;
    const id = cid.toString();
    if (await this.isVerifiedFile(cid, outPath, o)) {
      const size = (await stat(outPath)).size;
      o.onProgress?.({ cid: id, context: o.context, bytes: size, total: size, blocksFetched: 0, blocksReused: 0 });
      return { cid: id, path: outPath, bytes: size, blocksFetched: 0, blocksReused: 0, reused: true };
    }
    await mkdir(dirname(outPath), { recursive: true });
    const part = partPathFor(outPath, id);
    const resumed = await exists(part);
    const fh = await open(part, resumed ? 'r+' : 'w+');
    let result: WalkResult;
    try {
      result = await this.walk(cid, fh, { ...o, mode: 'fetch', seedSize: resumed ? (await fh.stat()).size : 0 });
      await fh.truncate(result.size);
      await fh.datasync();
    } catch (e) {
      // Keep a part that holds verified bytes (the next try resumes from it); drop an empty one.
      const empty = (await fh.stat()).size === 0;
      await fh.close();
      if (empty) await unlink(part).catch(() => undefined);
      throw e;
    }
    await fh.close();
    await rename(part, outPath);
    await syncDir(dirname(outPath));
    return { cid: id, path: outPath, bytes: result.size, blocksFetched: result.fetched, blocksReused: result.reused, reused: false };
  }

  /**
   * True when `path` holds exactly the file `cid` names. First re-imports it locally with Kubo's CIDv1
   * settings (no network); when that gives another CID (other import settings), walks the DAG from the
   * sources and checks every leaf against the file.
   */
  async isVerifiedFile(cid: CID, path: string, o: FetchOptions = {}): Promise<boolean> {
    if (!(await exists(path))) return false;
    if ((await importFile(path)).cid.equals(cid)) return true;
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      const r = await this.walk(cid, fh, { ...o, mode: 'verify', seedSize: size });
      return r.size === size && r.mismatch === false;
    } catch (e) {
      if (e instanceof MismatchSignal) return false;
      throw e;
    } finally {
      await fh.close();
    }
  }

  /**
   * Open `cid` (a UnixFS file) for ranged reads: only the root block now, then per `read(offset, length)` the
   * blocks overlapping the range, each verified like every other block of this fetcher (same sources, retries,
   * timeout and concurrency limit). When a source serves ranged CARs (a trustless gateway), the blocks of a
   * read come in one request (getRangeBlocks), and the ones it lacks one by one. Throws CidUnavailableError / BlockVerificationError / UnsupportedDagError.
   */
  openFile(cidInput: string | CID, o: OpenFileOptions = {}): Promise<RangedFile> {
    const cid = typeof cidInput === 'string' ? parseCid(cidInput) : cidInput;
    return openRangedFile(cid, (c, req) => this.getBlock(c, req), o, {
      available: () => this.rangeSources().length > 0,
      get: (root, from, to, req) => this.getRangeBlocks(root, from, to, req),
    });
  }

  async close(): Promise<void> {
    for (const s of this.sources) await s.close?.();
  }

  private async walk(root: CID, fh: FileHandle, o: FetchOptions & { mode: 'fetch' | 'verify'; seedSize: number }): Promise<WalkResult> {
    const rootId = root.toString();
    const state = { bytes: 0, total: undefined as number | undefined, fetched: 0, reused: 0 };
    const inner = new AbortController();
    const signal = o.signal ? AbortSignal.any([o.signal, inner.signal]) : inner.signal;
    const progress = (): void =>
      o.onProgress?.({ cid: rootId, context: o.context, bytes: state.bytes, total: state.total, blocksFetched: state.fetched, blocksReused: state.reused });
    const req: BlockRequest = { root: rootId, context: o.context, signal };

    const seedMatches = async (cid: CID, offset: number, size: number): Promise<boolean> => {
      if (offset + size > o.seedSize) return false;
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, offset);
      return bytesRead === size && hashMatches(cid, buf);
    };
    const place = async (data: Uint8Array, offset: number): Promise<void> => {
      if (o.mode === 'fetch') {
        await fh.write(data, 0, data.length, offset);
      } else {
        const buf = Buffer.alloc(data.length);
        const { bytesRead } = await fh.read(buf, 0, data.length, offset);
        if (bytesRead !== data.length || Buffer.compare(buf, Buffer.from(data)) !== 0) throw new MismatchSignal();
      }
      state.bytes += data.length;
    };

    // expected: the file bytes under this block per its parent; tsize: the parent's link Tsize (block + children).
    const visit = async (cid: CID, offset: number, expected: number | undefined, tsize?: number): Promise<number> => {
      if (cid.code === CODEC_RAW) {
        if (expected !== undefined && (await seedMatches(cid, offset, expected))) {
          state.reused++;
          state.bytes += expected;
          progress();
          return expected;
        }
        if (o.mode === 'verify' && expected !== undefined) throw new MismatchSignal();
        // A raw leaf is exactly its file bytes.
        const bytes = await this.getBlock(cid, { ...req, maxBytes: expected });
        state.fetched++;
        if (expected !== undefined && bytes.length !== expected) {
          throw new UnsupportedDagError(rootId, `leaf ${cid} holds ${bytes.length} bytes, its parent says ${expected}`, o.context);
        }
        await place(bytes, offset);
        progress();
        return bytes.length;
      }
      if (cid.code !== CODEC_DAG_PB) throw new UnsupportedDagError(rootId, `block ${cid} has codec 0x${cid.code.toString(16)}, not raw or dag-pb`, o.context);
      const bytes = await this.getBlock(cid, { ...req, maxBytes: tsize !== undefined && tsize > 0 ? tsize : undefined });
      state.fetched++;
      const node = dagPb.decode(bytes);
      let fs: UnixFS;
      try {
        fs = UnixFS.unmarshal(node.Data ?? new Uint8Array());
      } catch (e) {
        throw new UnsupportedDagError(rootId, `block ${cid} is not UnixFS: ${errorMessage(e)}`, o.context);
      }
      if (fs.type !== 'file' && fs.type !== 'raw') {
        throw new UnsupportedDagError(rootId, `block ${cid} is a UnixFS ${fs.type}, not a file (give the CID of a file)`, o.context);
      }
      if (node.Links.length !== fs.blockSizes.length) {
        throw new UnsupportedDagError(rootId, `block ${cid} has ${node.Links.length} links but ${fs.blockSizes.length} block sizes`, o.context);
      }
      const size = Number(fs.fileSize());
      if (cid.equals(root)) {
        state.total = size;
        progress();
      }
      if (expected !== undefined && size !== expected) {
        throw new UnsupportedDagError(rootId, `node ${cid} holds ${size} bytes, its parent says ${expected}`, o.context);
      }
      let pos = offset;
      if (fs.data && fs.data.length > 0) {
        await place(fs.data, pos);
        pos += fs.data.length;
      }
      const children = node.Links.map((l, i) => {
        const at = pos;
        const n = Number(fs.blockSizes[i]);
        pos += n;
        return () => visit(l.Hash, at, n, l.Tsize);
      });
      await allOrAbort(children, inner);
      return size;
    };

    const size = await visit(root, 0, undefined);
    if (state.total === undefined) {
      state.total = size;
      progress();
    }
    return { size, fetched: state.fetched, reused: state.reused, mismatch: false };
  }
}

interface WalkResult {
  size: number;
  fetched: number;
  reused: number;
  mismatch: boolean;
}

/** Internal: a leaf of an existing file does not match (verify mode). */
class MismatchSignal extends Error {}

/**
 * A signal aborted after `ms`, by a ref'd timer (AbortSignal.timeout is unref'd: a hung request must not let the
 * process exit early); clear() when the request is over.
 */
function refDeadline(ms: number): { signal: AbortSignal; clear(): void } {
  const timer = new AbortController();
  const t = setTimeout(() => timer.abort(new Error(`timed out after ${ms} ms`)), ms);
  return { signal: timer.signal, clear: () => clearTimeout(t) };
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  try {
    await fh.sync();
  } catch {
    // some file systems refuse fsync on directories; the rename is still atomic
  } finally {
    await fh.close();
  }
}

/** Remove a part file left by an abandoned download (for callers that give up on a CID). */
export async function removePart(outPath: string, cid: string): Promise<void> {
  await unlink(partPathFor(outPath, cid)).catch(() => undefined);
}
