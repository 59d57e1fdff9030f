// What a band source says when it cannot serve a band. `transient` failures (network errors, 5xx, 429,
// timeouts, no backend reachable) say nothing about the band: the scene is retried later. The others
// (no such file, wrong size or checksum, refused credentials) move on to the next source.
import type { BandSourceName } from '@hls/contracts';

export class BandSourceError extends Error {
  readonly source: BandSourceName;
  readonly transient: boolean;
  constructor(source: BandSourceName, message: string, o: { transient?: boolean; cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'BandSourceError';
    this.source = source;
    this.transient = o.transient ?? false;
  }
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A URL fit for a message: no query string (a signed URL's query is a credential) and no user info. */
export function safeUrl(href: string | URL): string {
  try {
    const u = new URL(href);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return String(href).split(/[?#]/, 1)[0] ?? '';
  }
}
