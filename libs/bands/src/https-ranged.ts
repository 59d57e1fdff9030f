// Ranged reads of a band over HTTPS: `Range: bytes=a-b` requests through the source's Earthdata Login
// session (the same hops, credentials and cookies as whole downloads). Opening asks for one byte to learn the
// file size from `Content-Range: bytes 0-0/TOTAL`. Every answer is checked: a 206 must carry a Content-Range
// covering what was asked, of a file of that same size, and exactly as many body bytes as it announces; a 200
// (a server that ignores Range) is read only up to the end of the range and sliced. Transient failures
// (network, 5xx, 429 after its Retry-After, no data for `timeoutMs`) are retried with the source's backoff;
// each request holds one of the source's concurrency slots.
import type { IncomingMessage } from 'node:http';
import { backoffDelay, sleep, type Limiter } from '@hls/common';
import type { BandAsset } from '@hls/contracts';
import { Transient, causeOf, headerOf, type EarthdataSession } from './earthdata-session.ts';
import { BandSourceError, safeUrl } from './errors.ts';
import type { HttpsSettings } from './https.ts';
import { rangesProblem, type ByteRange, type RangedBand } from './ranged.ts';

export interface HttpsRangedDeps {
  session: EarthdataSession;
  limiter: Limiter;
  settings: Required<HttpsSettings>;
}

/** Open `asset.href` for ranged reads (one small request for the size). Throws BandSourceError. */
export async function openHttpsRanged(deps: HttpsRangedDeps, asset: BandAsset, signal?: AbortSignal): Promise<RangedBand> {
  const href = asset.href;
  if (!href || !/^https?:\/\//i.test(href)) throw new BandSourceError('https', `${asset.filename}: the scene lists no http(s) link for it`);
  const band = new HttpsRangedBand(deps, href, asset.size);
  await band.open(signal);
  return band;
}

class HttpsRangedBand implements RangedBand {
  readonly source = 'https' as const;
  size = -1;
  readonly #d: HttpsRangedDeps;
  readonly #href: string;
  readonly #where: string;
  readonly #metaSize: number | undefined;
  #received = 0;
  /** The server answered a Range request with the whole file: each read is then one pass, sliced. */
  #ignoresRange = false;

  constructor(deps: HttpsRangedDeps, href: string, metaSize: number | undefined) {
    this.#d = deps;
    this.#href = href;
    this.#where = safeUrl(href);
    this.#metaSize = metaSize;
  }

  async open(signal?: AbortSignal): Promise<void> {
    const { total, whole } = await this.#retrying('bytes=0-0', (s) => this.#exchange(0, 0, s, signal), signal);
    this.#ignoresRange = whole;
    if (total === undefined) {
      // Neither Content-Range nor Content-Length: only the metadata can say how long the file is.
      if (this.#metaSize === undefined) throw new BandSourceError('https', `${this.#where}: the server gives no file size (no Content-Range or Content-Length)`);
      this.size = this.#metaSize;
    } else {
      this.size = total;
    }
    if (this.#metaSize !== undefined && this.size !== this.#metaSize) {
      throw new BandSourceError('https', `${this.#where}: the server has ${this.size} bytes, the granule metadata says ${this.#metaSize}`);
    }
  }

  bytesRead(): number {
    return this.#received;
  }

  async close(): Promise<void> {
    // Nothing held open: every request ends with its range.
  }

  async read(ranges: readonly ByteRange[], signal?: AbortSignal): Promise<Uint8Array[]> {
    const bad = rangesProblem(ranges, this.size);
    if (bad) throw new BandSourceError('https', `${this.#where}: ${bad}`);
    const wanted = ranges.filter((r) => r.length > 0);
    if (this.#ignoresRange && wanted.length > 1) {
      // Every request would bring the file from its start: one answer, read as far as the last range ends.
      const from = Math.min(...wanted.map((r) => r.offset));
      const to = Math.max(...wanted.map((r) => r.offset + r.length)) - 1;
      const { bytes } = await this.#retrying(`bytes=${from}-${to}`, (a) => this.#exchange(from, to, a, signal), signal);
      return ranges.map((r) => bytes.slice(r.offset - from, r.offset - from + r.length));
    }
    // One failed range ends the read: the others' requests are cancelled, not left running.
    const inner = new AbortController();
    const s = signal ? AbortSignal.any([signal, inner.signal]) : inner.signal;
    let first: { e: unknown } | undefined;
    const out = await Promise.all(
      ranges.map(async (r) => {
        if (r.length === 0) return new Uint8Array(0);
        const end = r.offset + r.length - 1;
        try {
          return (await this.#retrying(`bytes=${r.offset}-${end}`, (a) => this.#exchange(r.offset, end, a, signal), s)).bytes;
        } catch (e) {
          if (!first) {
            first = { e };
            inner.abort(e);
          }
          return new Uint8Array(0);
        }
      }),
    );
    if (first) throw first.e;
    return out;
  }

  /** `attempt` until it succeeds, retrying Transient failures with backoff; then a retryable BandSourceError. */
  async #retrying<T>(what: string, attempt: (signal: AbortSignal | undefined) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const { retries, backoffBaseMs, backoffMaxMs } = this.#d.settings;
    let last: Transient | undefined;
    for (let i = 0; i <= retries; i++) {
      signal?.throwIfAborted();
      try {
        return await this.#d.limiter.run(() => attempt(signal), signal);
      } catch (e) {
        if (!(e instanceof Transient)) throw e;
        if (signal?.aborted) throw signal.reason;
        last = e;
        if (i < retries) await sleep(e.waitMs ?? backoffDelay(i, backoffBaseMs, backoffMaxMs), signal);
      }
    }
    throw new BandSourceError('https', `${this.#where} (${what}): ${last?.message ?? 'failed'} (${retries + 1} attempt(s))`, { retryable: true });
  }

  /**
   * One request for bytes `start`..`end` (inclusive) through the login hops; the bytes, the file size the
   * answer gives (undefined when it gives none) and whether it was a whole-file 200. `caller` is the
   * caller's own signal (its abort is not a timeout).
   */
  async #exchange(start: number, end: number, signal: AbortSignal | undefined, caller: AbortSignal | undefined): Promise<{ bytes: Uint8Array; total: number | undefined; whole: boolean }> {
    const { timeoutMs } = this.#d.settings;
    const idle = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const kick = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new Error(`no data for ${timeoutMs} ms`)), timeoutMs);
    };
    const all = signal ? AbortSignal.any([signal, idle.signal]) : idle.signal;
    const lost = (url: URL, e: unknown): Transient =>
      new Transient(idle.signal.aborted && !signal?.aborted ? `timed out after ${timeoutMs} ms at ${url.host}` : `network error at ${url.host}: ${causeOf(e)}`, 0);
    const asked = `bytes=${start}-${end}`;
    kick();
    let res: IncomingMessage | undefined;
    try {
      const answer = await this.#d.session.get(this.#href, { headers: { range: asked }, signal: all, callerSignal: caller, lost, onAnswer: kick });
      res = answer.res;
      const url = answer.url;
      this.#d.session.check(res, url, this.#href);
      const status = res.statusCode ?? 0;
      const contentRange = headerOf(res, 'content-range');
      if (status !== 200 && status !== 206) throw new BandSourceError('https', `${safeUrl(url)}: HTTP ${status} for ${asked}${contentRange ? ` (Content-Range ${contentRange})` : ''}`);
      let first = 0;
      let last: number | undefined;
      let total: number | undefined;
      if (status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(contentRange ?? '');
        first = Number(m?.[1]);
        last = Number(m?.[2]);
        total = m?.[3] === '*' ? undefined : Number(m?.[3]);
        // A server may send more than asked (RFC 9110 lets it), never less or elsewhere.
        if (!m || first > start || last < end || (total !== undefined && last >= total)) {
          throw new BandSourceError('https', `${safeUrl(url)}: asked ${asked}, got HTTP 206 with Content-Range ${contentRange ?? '(none)'}`);
        }
      } else {
        const n = Number(headerOf(res, 'content-length') ?? NaN);
        total = Number.isSafeInteger(n) ? n : undefined;
        if (total !== undefined) last = total - 1;
      }
      if (total !== undefined && this.size >= 0 && total !== this.size) {
        throw new BandSourceError('https', `${safeUrl(url)}: the server now has ${total} bytes, it had ${this.size} when the band was opened (the file changed)`);
      }
      const timedOut = (): boolean => idle.signal.aborted && !signal?.aborted;
      const bytes = await this.#body(res, { start, end, first, last, stopEarly: status === 200 }, kick, timedOut);
      return { bytes, total, whole: status === 200 };
    } catch (e) {
      if (e instanceof Transient || e instanceof BandSourceError) throw e;
      if (caller?.aborted) throw caller.reason;
      throw lost(new URL(this.#href), e);
    } finally {
      clearTimeout(timer);
      if (res && !res.complete) res.destroy();
    }
  }

  /**
   * Bytes `start`..`end` of a body whose first byte is file offset `first` (and last `last`, when known).
   * A whole-file 200 is read only as far as `end`; every byte received is counted.
   */
  #body(res: IncomingMessage, w: { start: number; end: number; first: number; last: number | undefined; stopEarly: boolean }, kick: () => void, timedOut: () => boolean): Promise<Uint8Array> {
    const { start, end, first, last, stopEarly } = w;
    let pos = first;
    const cut = (what: string): Transient =>
      new Transient(timedOut() ? `timed out after ${this.#d.settings.timeoutMs} ms reading bytes=${start}-${end}` : `${what} after ${pos - first} bytes of the answer to bytes=${start}-${end}`, 0);
    const out = new Uint8Array(end - start + 1);
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = false;
      const finish = (e?: Error): void => {
        if (settled) return;
        settled = true;
        if (e) reject(e);
        else resolve(out);
      };
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        this.#received += chunk.length;
        kick();
        const a = Math.max(pos, start);
        const b = Math.min(pos + chunk.length, end + 1);
        if (a < b) out.set(chunk.subarray(a - pos, b - pos), a - start);
        pos += chunk.length;
        if (last !== undefined && pos > last + 1) {
          res.destroy();
          finish(new BandSourceError('https', `${this.#where}: the answer to bytes=${start}-${end} runs past its announced ${last + 1 - first} bytes`));
        } else if (stopEarly && pos > end) {
          // Enough of a whole-file answer: the rest is not downloaded.
          res.destroy();
          finish();
        }
      });
      const done = (): void => {
        if (pos > end && (last === undefined || pos === last + 1)) finish();
        else finish(cut('connection closed'));
      };
      res.once('end', done);
      res.once('close', done);
      res.once('error', (e) => finish(cut(`network error (${causeOf(e)})`)));
    });
  }
}
