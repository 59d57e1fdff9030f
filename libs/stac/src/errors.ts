// Errors that name what is at fault: the document (file or URL), the granule and the field.
import { HlsError } from '@hls/common';

/** A metadata document that cannot be read into a scene: the document will not change by reading it again. */
export class MetadataError extends HlsError {
  readonly source: string;
  readonly granuleId: string | undefined;
  readonly field: string | undefined;
  /** The message without the source and granule prefix. */
  readonly detail: string;
  constructor(source: string, message: string, opts: { granuleId?: string; field?: string; cause?: unknown } = {}) {
    const who = opts.granuleId ? `granule ${opts.granuleId}` : 'document';
    super('metadata', `${source}: ${who}: ${message}`, { retryable: false, cause: opts.cause });
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

/** An HTTP or source failure; retryable for network errors, timeouts, 429 and 5xx (the caller says). */
export class StacSourceError extends HlsError {
  readonly url: string;
  readonly status: number | undefined;
  constructor(url: string, message: string, opts: { status?: number; retryable?: boolean; cause?: unknown; code?: string } = {}) {
    super(opts.code ?? 'stac-source', `${url}: ${message}`, { retryable: opts.retryable ?? false, cause: opts.cause });
    this.url = url;
    this.status = opts.status;
  }
}

/** The API sent a page it had already sent (CMR-STAC once returned page 1 for every page). */
export class RepeatedPageError extends StacSourceError {
  constructor(url: string, page: number, firstSeenAt: number) {
    super(url, `page ${page} repeats page ${firstSeenAt} (same item ids); the API is not advancing its cursor, stopping instead of looping`, { code: 'stac-repeated-page' });
  }
}

export { errorMessage } from '@hls/common';
