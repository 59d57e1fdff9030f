// Errors of IPFS retrieval. Each names the CID at fault and, when the caller gave one, what the bytes were
// for (granule and band), so a failed band is traceable without reading logs.
import { HlsError, systemErrorCode } from '@hls/common';

/** What a CID stands for, for error messages and progress events. */
export interface FetchContext {
  granule?: string;
  band?: string;
  /** Free text (a file name, a scene label). */
  label?: string;
}

export function describeContext(ctx: FetchContext | undefined): string {
  if (!ctx) return '';
  const parts: string[] = [];
  if (ctx.band) parts.push(`band ${ctx.band}`);
  if (ctx.granule) parts.push(`granule ${ctx.granule}`);
  if (ctx.label) parts.push(ctx.label);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** Bytes that do not hash to their CID, or a block whose codec/shape is not what its CID says. */
export class BlockVerificationError extends HlsError {
  readonly cid: string;
  readonly root: string | undefined;
  readonly context: FetchContext | undefined;
  constructor(cid: string, detail: string, opts: { root?: string; context?: FetchContext; source?: string } = {}) {
    const of = opts.root && opts.root !== cid ? ` of ${opts.root}` : '';
    const from = opts.source ? ` from ${opts.source}` : '';
    super('block-verification', `block ${cid}${of}${describeContext(opts.context)} failed verification${from}: ${detail}`, { retryable: false });
    this.cid = cid;
    this.root = opts.root;
    this.context = opts.context;
  }
}

/**
 * A CID no backend delivered within its timeouts and retries. `reasons` lists each attempt's failure. Retryable
 * only when no backend could be reached at all (`unreachable`): otherwise the backends answered without it.
 */
export class CidUnavailableError extends HlsError {
  readonly cid: string;
  readonly root: string | undefined;
  readonly context: FetchContext | undefined;
  readonly reasons: string[];
  /** No backend could even be reached (connection refused, DNS, reset) on any attempt: nothing says the CID is missing. */
  readonly unreachable: boolean;
  constructor(cid: string, reasons: string[], opts: { root?: string; context?: FetchContext; unreachable?: boolean } = {}) {
    const of = opts.root && opts.root !== cid ? ` (block of ${opts.root})` : '';
    const last = reasons.slice(-3).join('; ');
    super('cid-unavailable', `cid-unavailable: ${cid}${of}${describeContext(opts.context)}: ${reasons.length} attempt(s) failed: ${last}`, { retryable: opts.unreachable ?? false });
    this.cid = cid;
    this.root = opts.root;
    this.context = opts.context;
    this.reasons = reasons;
    this.unreachable = opts.unreachable ?? false;
  }
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

/** True when an error (or one of its causes) is a failure to reach the server at all. */
export function isUnreachable(e: unknown): boolean {
  const code = systemErrorCode(e);
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/** A DAG that decodes but is not a UnixFS file we can reassemble (directory, bad sizes). */
export class UnsupportedDagError extends HlsError {
  readonly cid: string;
  constructor(cid: string, detail: string, context?: FetchContext) {
    super('unsupported-dag', `${cid}${describeContext(context)}: ${detail}`, { retryable: false });
    this.cid = cid;
  }
}

export { errorMessage } from '@hls/common';
