// HTTPS band downloads from a STAC item's asset hrefs, with Earthdata Login as LP DAAC's protected files
// want it: the data host redirects to the URS auth host, which takes Basic auth (the netrc entry) and
// redirects back with a code; the data host sets a session cookie and redirects to the file, often a
// signed URL on another host. A bearer token (EARTHDATA_TOKEN) skips the URS hop.
//
// Credentials go only to the configured auth hosts; cookies only back to the host that set them; a signed
// URL gets neither. Downloads land in `.<name>.https.part` beside the final path, resume with HTTP Range
// after a disconnect, and are renamed to the final path only once size (and checksum, when the granule
// metadata has one) verify. Transient failures (network, 5xx, 429, timeouts) are retried here with
// backoff, then reported transient; a refused login, a missing file or wrong bytes are not.
import { closeSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { Limiter, backoffDelay, sleep } from '@hls/common';
import type { BandAsset } from '@hls/contracts';
import type { EarthdataAuth } from '@hls/stac';
import { hashFile, hashName } from './checksum.ts';
import { EarthdataSession, Transient, causeOf, headerOf } from './earthdata-session.ts';
import { BandSourceError, safeUrl } from './errors.ts';
import { openHttpsRanged } from './https-ranged.ts';
import type { RangedBand } from './ranged.ts';

export interface HttpsSettings {
  /** Hosts (suffix match) credentials may go to. */
  authHosts: readonly string[];
  /** No byte for this long: the attempt is abandoned (and resumed). */
  timeoutMs: number;
  /** Attempts after the first, for transient failures. */
  retries: number;
  /** Downloads at once. */
  concurrency: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface HttpsResult {
  path: string;
  bytes: number;
  /** The final file was there already and verified. */
  reused: boolean;
  /** Bytes kept from an interrupted download. */
  resumedFrom: number;
  checksumVerified: boolean;
}

export const httpsPartPath = (outPath: string): string => join(dirname(outPath), `.${basename(outPath)}.https.part`);

export class HttpsBandSource {
  readonly settings: Required<HttpsSettings>;
  readonly limiter: Limiter;
  /** The login session (cookies) shared by downloads and ranged reads of this source. */
  readonly session: EarthdataSession;

  constructor(auth: EarthdataAuth, settings: HttpsSettings) {
    this.settings = { backoffBaseMs: 500, backoffMaxMs: 30_000, ...settings };
    this.session = new EarthdataSession(auth, settings.authHosts);
    this.limiter = new Limiter(settings.concurrency);
  }

  /** Download `asset.href` to `outPath`, verified; reuses a verified file already there. */
  async fetchToFile(asset: BandAsset, outPath: string, o: { signal?: AbortSignal; onProgress?: (bytes: number, total: number | undefined) => void } = {}): Promise<HttpsResult> {
    const href = asset.href;
    if (!href || !/^https?:\/\//i.test(href)) throw new BandSourceError('https', `${asset.filename}: the scene lists no http(s) link for it`);
    if (await this.#verified(outPath, asset)) {
      const bytes = (await stat(outPath)).size;
      return { path: outPath, bytes, reused: true, resumedFrom: 0, checksumVerified: asset.checksum !== undefined };
    }
    return this.limiter.run(() => this.#download(href, asset, outPath, o), o.signal);
  }

  /** Open `asset.href` for ranged reads through this source's login session and concurrency limit. */
  openRanged(asset: BandAsset, signal?: AbortSignal): Promise<RangedBand> {
    return openHttpsRanged({ session: this.session, limiter: this.limiter, settings: this.settings }, asset, signal);
  }

  /** A file already at the final path is kept only when metadata says what it must be and it is that. */
  async #verified(path: string, asset: BandAsset): Promise<boolean> {
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      return false;
    }
    if (asset.size === undefined || size !== asset.size) return false;
    return (await this.#checksumProblem(path, asset)) === undefined;
  }

  async #checksumProblem(path: string, asset: BandAsset): Promise<string | undefined> {
    const c = asset.checksum;
    const hash = c ? hashName(c.algorithm) : undefined;
    if (!c || !hash) return undefined;
    const got = await hashFile(path, hash);
    return got === c.value.toLowerCase() ? undefined : `${c.algorithm} checksum ${got.slice(0, 16)}... differs from the granule metadata's ${c.value.slice(0, 16)}...`;
  }

  async #download(href: string, asset: BandAsset, outPath: string, o: { signal?: AbortSignal; onProgress?: (bytes: number, total: number | undefined) => void }): Promise<HttpsResult> {
    await mkdir(dirname(outPath), { recursive: true });
    const part = httpsPartPath(outPath);
    const where = safeUrl(href);
    let resumedFrom = -1;
    let last: Transient | undefined;
    for (let attempt = 0; attempt <= this.settings.retries; attempt++) {
      o.signal?.throwIfAborted();
      try {
        const have = await sizeOf(part);
        if (resumedFrom < 0) resumedFrom = have;
        const total = await this.#attempt(href, part, have, asset, o);
        // The whole body is in: check it before it may become the band.
        const size = await sizeOf(part);
        const expected = asset.size ?? total;
        if (size !== expected) {
          await unlink(part).catch(() => undefined);
          throw new BandSourceError('https', `${where}: got ${size} bytes, ${asset.size !== undefined ? 'the granule metadata says' : 'the server announced'} ${expected}`);
        }
        const bad = await this.#checksumProblem(part, asset);
        if (bad) {
          await unlink(part).catch(() => undefined);
          throw new BandSourceError('https', `${where}: ${bad}`);
        }
        await rename(part, outPath);
        return { path: outPath, bytes: size, reused: false, resumedFrom: Math.max(0, resumedFrom), checksumVerified: asset.checksum !== undefined && hashName(asset.checksum.algorithm) !== undefined };
      } catch (e) {
        if (!(e instanceof Transient)) throw e;
        last = e;
        if (o.signal?.aborted) throw o.signal.reason;
        if (attempt < this.settings.retries) {
          await sleep(e.waitMs ?? backoffDelay(attempt, this.settings.backoffBaseMs, this.settings.backoffMaxMs), o.signal);
        }
      }
    }
    throw new BandSourceError('https', `${where}: ${last?.message ?? 'failed'} (${this.settings.retries + 1} attempt(s))`, { retryable: true });
  }

  /**
   * One request chain (redirects followed by hand, so credentials and cookies are chosen per hop) and the
   * body written to the part file from `have`. Returns the file's total size as the server gave it.
   */
  async #attempt(href: string, part: string, have: number, asset: BandAsset, o: { signal?: AbortSignal; onProgress?: (bytes: number, total: number | undefined) => void }): Promise<number> {
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const kick = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new Error(`no data for ${this.settings.timeoutMs} ms`)), this.settings.timeoutMs);
    };
    const signal = o.signal ? AbortSignal.any([o.signal, idle.signal]) : idle.signal;
    const timedOut = (): boolean => idle.signal.aborted && !o.signal?.aborted;
    const lost = (url: URL, e: unknown): Transient =>
      new Transient(timedOut() ? `timed out after ${this.settings.timeoutMs} ms at ${url.host}` : `network error at ${url.host}: ${causeOf(e)}`, 0);
    kick();
    let res: IncomingMessage | undefined;
    // Opened before the request: once the answer is in, the body handlers are attached at once (no await in
    // between), so no byte and no close event can pass unseen.
    const fd = openSync(part, have > 0 ? 'r+' : 'w');
    let pos = have;
    try {
      const answer = await this.session.get(href, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal, callerSignal: o.signal, lost, onAnswer: kick });
      res = answer.res;
      const url = answer.url;
      const status = res.statusCode ?? 0;
      const header = (name: string): string | undefined => (res ? headerOf(res, name) : undefined);
      this.session.check(res, url, href);
      if (status === 416 && have > 0) {
        // The part is as long as (or longer than) the file: start over.
        await unlink(part).catch(() => undefined);
        throw new Transient(`HTTP 416 at ${url.host} for a part of ${have} bytes: starting over`, 0);
      }
      if (status !== 200 && status !== 206) throw new BandSourceError('https', `${safeUrl(url)}: HTTP ${status}`);
      let offset = have;
      let total: number;
      if (status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header('content-range') ?? '');
        if (!m || Number(m[1]) !== have) {
          res.resume();
          await unlink(part).catch(() => undefined);
          throw new Transient(`${url.host} answered Range bytes=${have}- with Content-Range ${header('content-range') ?? '(none)'}: starting over`, 0);
        }
        total = Number(m[3]);
      } else {
        // A server that ignores Range sends the whole file: the part starts over.
        offset = 0;
        total = Number(header('content-length') ?? NaN);
      }
      if (asset.size !== undefined && Number.isFinite(total) && total !== asset.size) {
        res.resume();
        throw new BandSourceError('https', `${safeUrl(href)}: the server has ${total} bytes, the granule metadata says ${asset.size}`);
      }
      if (offset === 0 && have > 0) ftruncateSync(fd, 0);
      pos = offset;
      const body = res;
      try {
        // Flowing mode with synchronous writes: every byte received before a cut is in the part file,
        // whatever the timing, so the next attempt resumes exactly after it.
        await new Promise<void>((resolve, reject) => {
          const done = (): void => (body.complete ? resolve() : reject(new Error('connection closed mid-transfer')));
          body.on('data', (chunk: Buffer) => {
            try {
              writeSync(fd, chunk, 0, chunk.length, pos);
            } catch (e) {
              body.destroy(e as Error);
              return;
            }
            pos += chunk.length;
            kick();
            o.onProgress?.(pos, Number.isFinite(total) ? total : undefined);
          });
          body.once('end', done);
          body.once('error', reject);
          body.once('close', done);
        });
        fsyncSync(fd);
        return Number.isFinite(total) ? total : pos;
      } catch (e) {
        if (o.signal?.aborted) throw o.signal.reason;
        // Cut mid-transfer: what was received stays in the part file; the next attempt asks for the rest.
        throw lost(url, e);
      }
    } finally {
      clearTimeout(timer);
      if (res && !res.complete) res.destroy();
      closeSync(fd);
      // Nothing received at all: no part file to resume from.
      if (pos === 0) await unlink(part).catch(() => undefined);
    }
  }
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}
