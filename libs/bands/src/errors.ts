// What a band source says when it cannot serve a band. `retryable` failures (network errors, 5xx, 429,
// timeouts, no backend reachable) say nothing about the band: the scene is retried later. The others
// (no such file, wrong size or checksum, refused credentials) move on to the next source.
import { HlsError } from '@hls/common';
import type { BandSourceName } from '@hls/contracts';

export class BandSourceError extends HlsError {
  readonly source: BandSourceName;
  constructor(source: BandSourceName, message: string, o: { retryable?: boolean; cause?: unknown } = {}) {
    super('band-source', message, { retryable: o.retryable ?? false, cause: o.cause });
    this.source = source;
  }
}

export { errorMessage } from '@hls/common';

/** A URL fit for a message: no query string (a signed URL's query is a credential) and no user info. */
export function safeUrl(href: string | URL): string {
  try {
    const u = new URL(href);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return String(href).split(/[?#]/, 1)[0] ?? '';
  }
}
