// Errors that name what is at fault: the document (file or URL), the granule and the field.

/** A metadata document that cannot be read into a scene. */
export class MetadataError extends Error {
  readonly source: string;
  readonly granuleId: string | undefined;
  readonly field: string | undefined;
  /** The message without the source and granule prefix. */
  readonly detail: string;
  constructor(source: string, message: string, opts: { granuleId?: string; field?: string; cause?: unknown } = {}) {
    const who = opts.granuleId ? `granule ${opts.granuleId}` : 'document';
    super(`${source}: ${who}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'MetadataError';
    this.source = source;
    this.granuleId = opts.granuleId;
    this.field = opts.field;
    this.detail = message;
  }

  /** The same error attributed to a granule known from context (its folder, its search result). */
  forGranule(granuleId: string): MetadataError {
    if (this.granuleId) return this;
    return new MetadataError(this.source, this.detail, { granuleId, ...(this.field ? { field: this.field } : {}), cause: this.cause });
  }
}

/** An HTTP or source failure; `retryable` tells callers whether trying again can help. */
export class StacSourceError extends Error {
  readonly url: string;
  readonly status: number | undefined;
  readonly retryable: boolean;
  constructor(url: string, message: string, opts: { status?: number; retryable?: boolean; cause?: unknown } = {}) {
    super(`${url}: ${message}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'StacSourceError';
    this.url = url;
    this.status = opts.status;
    this.retryable = opts.retryable ?? false;
  }
}

/** The API sent a page it had already sent (CMR-STAC once returned page 1 for every page). */
export class RepeatedPageError extends StacSourceError {
  constructor(url: string, page: number, firstSeenAt: number) {
    super(url, `page ${page} repeats page ${firstSeenAt} (same item ids); the API is not advancing its cursor, stopping instead of looping`);
    this.name = 'RepeatedPageError';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
