// HTTP for STAC/CMR: one concurrency limit shared by every request of a client, a timeout per attempt,
// retries with exponential backoff and jitter on network errors and 5xx, and 429 waiting for the
// server's Retry-After. Credentials (Earthdata bearer token or a netrc entry) go only to the hosts
// they are for and never into errors or events.
import { Limiter, backoffDelay, sleep } from '@hls/common';
import { EARTHDATA_HOSTS, EarthdataCredentials } from './earthdata.ts';
import { StacSourceError } from './errors.ts';

export interface HttpEvent {
  type: 'retry' | 'rate-limited';
  url: string;
  attempt: number;
  waitMs: number;
  reason: string;
}

export interface HttpOptions {
  /** Shared limiter (the run's async_concurrency_limit); a client gets its own of 8 when absent. */
  limiter?: Limiter;
  timeoutMs?: number;
  /** Retries after the first attempt. */
  retries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Longest Retry-After honoured; a longer one fails the request (retryable) instead of stalling. */
  maxRetryAfterMs?: number;
  /** Earthdata Login bearer token (EDL token); sent only to `authHosts`. */
  token?: string;
  /** Path of a netrc file; its entry for a request's host becomes Basic auth. */
  netrcPath?: string;
  /** Hosts (suffix match) credentials may go to; default: Earthdata hosts. */
  authHosts?: string[];
  signal?: AbortSignal;
  onEvent?: (e: HttpEvent) => void;
  /** For tests: deterministic jitter. */
  random?: () => number;
}

export interface HttpRequest {
  method?: 'GET' | 'POST';
  body?: unknown;
  headers?: Record<string, string>;
}

export interface HttpResponse {
  url: string;
  status: number;
  headers: Headers;
  text: string;
}

/** Retry-After: delta seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class HttpClient {
  readonly limiter: Limiter;
  readonly #o: Required<Pick<HttpOptions, 'timeoutMs' | 'retries' | 'baseDelayMs' | 'maxDelayMs' | 'maxRetryAfterMs' | 'authHosts' | 'random'>> & HttpOptions;
  readonly #credentials: EarthdataCredentials;

  constructor(opts: HttpOptions = {}) {
    this.limiter = opts.limiter ?? new Limiter(8);
    this.#o = {
      timeoutMs: 30_000,
      retries: 5,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      maxRetryAfterMs: 120_000,
      authHosts: [...EARTHDATA_HOSTS],
      random: Math.random,
      ...opts,
    };
    this.#credentials = new EarthdataCredentials({ token: opts.token, netrcPath: opts.netrcPath }, this.#o.authHosts);
  }

  #backoff(attempt: number): number {
    return backoffDelay(attempt, this.#o.baseDelayMs, this.#o.maxDelayMs, this.#o.random);
  }

  /** One request with retries; resolves with any non-retryable response (callers check status). */
  async request(href: string, req: HttpRequest = {}): Promise<HttpResponse> {
    const url = new URL(href);
    const method = req.method ?? 'GET';
    const headers: Record<string, string> = { accept: 'application/geo+json, application/json;q=0.9, */*;q=0.5', ...req.headers };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const auth = this.#credentials.header(url);
    if (auth) headers.authorization = auth;
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    let lastError: StacSourceError | undefined;
    for (let attempt = 0; attempt <= this.#o.retries; attempt++) {
      this.#o.signal?.throwIfAborted();
      let waitMs: number;
      try {
        const res = await this.limiter.run(async () => {
          const signals = [AbortSignal.timeout(this.#o.timeoutMs), ...(this.#o.signal ? [this.#o.signal] : [])];
          const r = await fetch(url, { method, headers, body, signal: AbortSignal.any(signals), redirect: 'follow' });
          return { url: r.url || href, status: r.status, headers: r.headers, text: await r.text() };
        });
        if (res.status === 429) {
          const ra = retryAfterMs(res.headers.get('retry-after'));
          if (ra !== undefined && ra > this.#o.maxRetryAfterMs) {
            throw new StacSourceError(href, `HTTP 429 with Retry-After ${ra} ms, over the ${this.#o.maxRetryAfterMs} ms limit`, { status: 429, retryable: true });
          }
          waitMs = ra ?? this.#backoff(attempt);
          lastError = new StacSourceError(href, `HTTP 429 Too Many Requests after ${attempt + 1} attempt(s)`, { status: 429, retryable: true });
          if (attempt < this.#o.retries) this.#o.onEvent?.({ type: 'rate-limited', url: href, attempt, waitMs, reason: 'HTTP 429' });
        } else if (res.status >= 500 || res.status === 408) {
          waitMs = this.#backoff(attempt);
          lastError = new StacSourceError(href, `HTTP ${res.status} after ${attempt + 1} attempt(s): ${res.text.slice(0, 200)}`, { status: res.status, retryable: true });
          if (attempt < this.#o.retries) this.#o.onEvent?.({ type: 'retry', url: href, attempt, waitMs, reason: `HTTP ${res.status}` });
        } else {
          return res;
        }
      } catch (e) {
        if (e instanceof StacSourceError) throw e;
        if (this.#o.signal?.aborted) throw e;
        const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
        const reason = timedOut ? `timed out after ${this.#o.timeoutMs} ms` : `network error: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`;
        lastError = new StacSourceError(href, `${reason} (attempt ${attempt + 1})`, { retryable: true, cause: e });
        waitMs = this.#backoff(attempt);
        if (attempt < this.#o.retries) this.#o.onEvent?.({ type: 'retry', url: href, attempt, waitMs, reason });
      }
      if (attempt < this.#o.retries) await sleep(waitMs, this.#o.signal);
    }
    throw lastError ?? new StacSourceError(href, 'request failed');
  }

  /** GET/POST and parse JSON; a non-2xx answer is an error naming the URL and status. */
  async json(href: string, req: HttpRequest = {}): Promise<unknown> {
    const r = await this.request(href, req);
    if (r.status < 200 || r.status >= 300) {
      throw new StacSourceError(href, `HTTP ${r.status}: ${r.text.slice(0, 300)}`, { status: r.status, retryable: false });
    }
    try {
      return JSON.parse(r.text);
    } catch (e) {
      throw new StacSourceError(href, `response is not JSON: ${r.text.slice(0, 120)}`, { status: r.status, cause: e });
    }
  }

  async text(href: string): Promise<string> {
    const r = await this.request(href);
    if (r.status < 200 || r.status >= 300) throw new StacSourceError(href, `HTTP ${r.status}: ${r.text.slice(0, 300)}`, { status: r.status });
    return r.text;
  }
}
