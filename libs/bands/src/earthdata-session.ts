// One Earthdata Login session for HTTPS band requests (whole downloads and ranged reads alike): redirects
// are followed by hand so credentials and cookies are chosen per hop. The bearer token or the netrc entry
// goes only to the configured auth hosts; a cookie goes back only to the host that set it; a signed URL on
// another host gets neither. Answers that carry no file bytes are sorted here: a refused login is final,
// 429 / 5xx / 408 are transient (retried by the caller with backoff).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { EarthdataCredentials, missingCredentialsMessage, retryAfterMs, type EarthdataAuth } from '@hls/stac';
import { BandSourceError, errorMessage, safeUrl } from './errors.ts';

const MAX_HOPS = 10;

/** A failure that says nothing about the file: worth another attempt (after `waitMs` when the server said). */
export class Transient extends Error {
  readonly waitMs: number | undefined;
  constructor(message: string, waitMs?: number) {
    super(message);
    this.waitMs = waitMs;
  }
}

export interface SessionRequest {
  /** Extra headers for every hop (e.g. `range`). */
  headers?: Record<string, string>;
  signal: AbortSignal;
  /** The caller's own signal: when it aborted, its reason is thrown as is. */
  callerSignal?: AbortSignal | undefined;
  /** The error for a request that got no answer at all (network error, timeout) at `url`. */
  lost: (url: URL, e: unknown) => Error;
  /** Called when each hop's answer arrives (the caller's idle timer). */
  onAnswer?: () => void;
}

export class EarthdataSession {
  readonly #credentials: EarthdataCredentials;
  /** host -> cookie name -> value; a cookie goes back only to the host that set it. */
  readonly #cookies = new Map<string, Map<string, string>>();

  constructor(auth: EarthdataAuth, authHosts: readonly string[]) {
    this.#credentials = new EarthdataCredentials(auth, authHosts);
  }

  /**
   * GET `href` through the login redirects; resolves with the final answer's head (its body still to read)
   * and the URL that gave it. Throws `o.lost(...)` when a hop gets no answer, unless the caller aborted.
   */
  async get(href: string, o: SessionRequest): Promise<{ res: IncomingMessage; url: URL }> {
    let url = new URL(href);
    for (let hop = 0; ; hop++) {
      if (hop > MAX_HOPS) throw new BandSourceError('https', `${safeUrl(href)}: more than ${MAX_HOPS} redirects`);
      const headers: Record<string, string> = { accept: '*/*', ...o.headers };
      // The token, else the netrc entry of this very host (URS); both only on an auth host.
      const auth = this.#credentials.header(url);
      if (auth) headers.authorization = auth;
      const cookie = this.#cookieHeader(url.host);
      if (cookie) headers.cookie = cookie;
      let res: IncomingMessage;
      try {
        res = await get(url, headers, o.signal);
      } catch (e) {
        if (o.callerSignal?.aborted) throw e;
        throw o.lost(url, e);
      }
      o.onAnswer?.();
      this.#storeCookies(url.host, res.headers['set-cookie'] ?? []);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location) {
        res.resume();
        url = new URL(location, url);
        continue;
      }
      return { res, url };
    }
  }

  /**
   * Throw for a final answer that carries no file bytes: 401/403 (refused or missing credentials: final),
   * 429 (transient, after its Retry-After), 5xx and 408 (transient). The body of any non-2xx is drained.
   */
  check(res: IncomingMessage, url: URL, href: string): void {
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) res.resume();
    if (status === 401 || status === 403) {
      const why = this.#credentials.present
        ? `HTTP ${status} at ${url.host}: Earthdata Login refused the credentials (check EARTHDATA_TOKEN or the netrc entry for ${url.host})`
        : `HTTP ${status} at ${url.host}: ${missingCredentialsMessage(url.host)}`;
      throw new BandSourceError('https', `${safeUrl(href)}: ${why}`);
    }
    if (status === 429) throw new Transient(`HTTP 429 at ${url.host}`, retryAfterMs(headerOf(res, 'retry-after') ?? null));
    if (status >= 500 || status === 408) throw new Transient(`HTTP ${status} at ${url.host}`);
  }

  #cookieHeader(host: string): string | undefined {
    const jar = this.#cookies.get(host);
    return jar && jar.size > 0 ? [...jar].map(([k, v]) => `${k}=${v}`).join('; ') : undefined;
  }

  #storeCookies(host: string, setCookie: readonly string[]): void {
    for (const c of setCookie) {
      const [pair = ''] = c.split(';', 1);
      const i = pair.indexOf('=');
      if (i <= 0) continue;
      let jar = this.#cookies.get(host);
      if (!jar) this.#cookies.set(host, (jar = new Map()));
      jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
  }
}

/** One header's value (the first, when repeated). */
export function headerOf(res: IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The low-level reason of a failed request, for messages (ECONNRESET rather than "socket hang up"). */
export function causeOf(e: unknown): string {
  const c = (e as { cause?: { code?: string; message?: string } }).cause;
  return c?.code ?? c?.message ?? errorMessage(e);
}

/** One GET, no redirect following; resolves with the response head (the body still to read). */
function get(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'GET', headers, signal }, resolve);
    req.once('error', reject);
    req.end();
  });
}
