// HTTP client spans for every outgoing request (STAC searches, HTTPS band downloads, IPFS gateway and
// RPC calls): fetch goes through undici, node:http(s) through the http instrumentation. Only requests made
// inside a span are traced (no stray root traces), incoming requests never (health probes, local servers).
import type { Span } from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';

/** A URL without user:password (a token in the query stays out of the span by redaction of the instrumentations). */
export function urlWithoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

const setBytes = (span: Span, length: string | undefined): void => {
  const n = Number(length);
  if (length !== undefined && Number.isFinite(n)) span.setAttribute('http.response.body.size', n);
};

function headerOf(raw: Buffer[], name: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]?.toString('latin1').toLowerCase() === name) return raw[i + 1]?.toString('latin1');
  return undefined;
}

export function httpClientInstrumentations(): Array<UndiciInstrumentation | HttpInstrumentation> {
  return [
    new UndiciInstrumentation({
      requireParentforSpans: true,
      requestHook: (span, req) => span.setAttribute('url.full', urlWithoutCredentials(`${req.origin}${req.path}`)),
      responseHook: (span, { response }) => setBytes(span, headerOf(response.headers, 'content-length')),
    }),
    new HttpInstrumentation({
      disableIncomingRequestInstrumentation: true,
      requireParentforOutgoingSpans: true,
      requestHook: (span, req: ClientRequest | IncomingMessage) => {
        if ('host' in req && 'protocol' in req) span.setAttribute('url.full', urlWithoutCredentials(`${req.protocol}//${String(req.getHeader('host') ?? req.host)}${req.path}`));
      },
      responseHook: (span, res: IncomingMessage | ServerResponse) => {
        if ('headers' in res) setBytes(span, (res as IncomingMessage).headers['content-length']);
      },
    }),
  ];
}
