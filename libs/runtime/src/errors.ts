// What happens to a message whose handler threw: the one classification of errors in the project. It reads
// what an error is (its class's `retryable` flag, a Node system error code), never its message text.
import {
  HlsError,
  NotImplementedError,
  PERMANENT_SYSTEM_CODES,
  PermanentError,
  RETRYABLE_SYSTEM_CODES,
  TransientError,
  systemErrorCode,
} from '@hls/common';

export { HlsError, NotImplementedError, PermanentError, TransientError, systemErrorCode };

/** `retry`: nak with backoff (up to max_deliver); `dead-letter`: to the service's DLQ at once. */
export type Disposition = 'retry' | 'dead-letter';

/**
 * - an HlsError: its `retryable` flag;
 * - a Node system error (or an error caused by one): network and resource codes (ECONNRESET, ETIMEDOUT,
 *   ECONNREFUSED, EAI_AGAIN, EPIPE, EMFILE, ...) retry; path and permission codes (ENOENT, EACCES, EISDIR, ...)
 *   dead-letter (a handler that waits for a file another service is still writing says so with a TransientError);
 * - malformed data (a zod validation error, a JSON SyntaxError): dead-letter;
 * - anything else: retry, and max_deliver bounds it.
 */
export function classifyError(e: unknown): Disposition {
  if (e instanceof HlsError) return e.retryable ? 'retry' : 'dead-letter';
  const code = systemErrorCode(e);
  if (code !== undefined) {
    if (RETRYABLE_SYSTEM_CODES.has(code)) return 'retry';
    if (PERMANENT_SYSTEM_CODES.has(code)) return 'dead-letter';
  }
  if (e instanceof SyntaxError || isZodError(e)) return 'dead-letter';
  return 'retry';
}

/** True when classifyError says retry. */
export const isRetryable = (e: unknown): boolean => classifyError(e) === 'retry';

/**
 * The failure with what the handler was doing in front of its message, classified as its cause is: a
 * TransientError when the cause is retryable, else a PermanentError. For handlers that add context to an
 * error without knowing better than its class does.
 */
export function withContext(message: string, cause: unknown): TransientError | PermanentError {
  const text = `${message}: ${cause instanceof Error ? cause.message : String(cause)}`;
  return isRetryable(cause) ? new TransientError(text, { cause }) : new PermanentError(text, { cause });
}

// zod v4's ZodError (and $ZodError): matched by shape, so this module needs no zod import.
function isZodError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'ZodError' || e.name === '$ZodError') && Array.isArray((e as { issues?: unknown }).issues);
}
