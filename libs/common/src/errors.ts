// The one error base of the project. Every domain error extends HlsError and says whether trying again can
// help (`retryable`) and what it is (`code`, stable, for logs, DLQ records and tests); the runtime's
// classifyError decides retry or dead-letter from these, never from message text.

export interface HlsErrorOptions {
  /** Whether the same work, tried again later, can succeed. */
  retryable: boolean;
  cause?: unknown;
}

export class HlsError extends Error {
  /** Stable kebab-case identifier of the kind of failure: `raster-read`, `block-verification`, ... */
  readonly code: string;
  readonly retryable: boolean;
  constructor(code: string, message: string, opts: HlsErrorOptions) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = opts.retryable;
  }
}

/** A failure that may pass on its own (a network timeout, a file another service is still writing): retried. */
export class TransientError extends HlsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('transient', message, { retryable: true, cause: options?.cause });
  }
}

/** Retrying cannot help: the message goes to the DLQ at once. */
export class PermanentError extends HlsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('permanent', message, { retryable: false, cause: options?.cause });
  }
}

export class NotImplementedError extends HlsError {
  constructor(what: string) {
    super('not-implemented', `not implemented: ${what}`, { retryable: false });
  }
}

/**
 * Node system error codes (errno names, undici codes) of failures that say nothing about the work itself:
 * the network, a peer, a busy or exhausted resource. Trying again later can succeed.
 */
export const RETRYABLE_SYSTEM_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'EAGAIN',
  'EBUSY',
  'EMFILE',
  'ENFILE',
  'ENOSPC',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Node system error codes that no retry changes: the path or the permission is wrong. */
export const PERMANENT_SYSTEM_CODES: ReadonlySet<string> = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EROFS', 'ENAMETOOLONG', 'ELOOP', 'EINVAL']);

const isSystemCode = (code: unknown): code is string => typeof code === 'string' && /^(E(?!RR_)[A-Z0-9_]+|UND_ERR_[A-Z_]+)$/.test(code);

/**
 * The system error code (`ENOENT`, `ECONNRESET`, ...) of an error or of the first of its causes that has one,
 * so a wrapped failure (a RasterReadError around a missing file) is still known by its code.
 */
export function systemErrorCode(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; typeof c === 'object' && c !== null && depth < 8; depth++) {
    if (!(c instanceof HlsError)) {
      const code = (c as { code?: unknown }).code;
      if (isSystemCode(code)) return code;
    }
    c = (c as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the error (or a cause) is a network or resource failure that trying again can get past. */
export const isRetryableSystemError = (e: unknown): boolean => {
  const code = systemErrorCode(e);
  return code !== undefined && RETRYABLE_SYSTEM_CODES.has(code);
};

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
