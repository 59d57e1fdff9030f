// What a service handler gets: typed publishing, run state in KV, a logger and span annotation.
// Handlers are plain async functions (event, ctx) => void; libs/bus + this runtime wire them to
// durable consumers. A thrown error is classified by classifyError (errors.ts): a domain error
// (HlsError) by its `retryable` flag, retried with backoff or sent straight to the DLQ; TransientError
// and PermanentError say so where the handler knows better. A domain outcome (a tile with no scenes, a
// CID that cannot be had) is not an error: publish the terminal event and return.
import type { Config, EventInput, EventOf, RunInputName, ServiceName, Subject } from '@hls/contracts';
import type { RunLedger } from '@hls/ledger';
import type { RunInput } from './run-inputs.ts';
import type { Logger } from '@hls/telemetry';

export interface SpanIds {
  runId?: string | undefined;
  tileId?: string | undefined;
  chipId?: string | undefined;
  /** The tile's chips, on tile-level work (spans only: log lines would get too long). */
  chipIds?: readonly string[] | undefined;
  granuleId?: string | undefined;
}

export interface ServiceContext {
  readonly service: ServiceName;
  readonly log: Logger;
  /** The run's resolved configuration and inputs (the hls.run.requested event, kept in KV). */
  run(runId: string): Promise<EventOf<'hls.run.requested'>>;
  /**
   * One of the run's inputs (chip payload, twin, grid, reclass table, config) from the run-inputs object
   * store, checked against its SHA-256; null when the run has none of that kind.
   */
  runInput(runId: string, input: RunInputName): Promise<RunInput | null>;
  /** `<data_dir>/training_datasets/<train_dataset_name>` of a run, absolute. */
  datasetDir(runId: string): Promise<string>;
  /** Validate and publish with a deterministic Nats-Msg-Id; resolves when JetStream has stored it and the ledger has the tile's state. */
  publish<S extends Subject>(subject: S, event: EventInput<S>, msgId: string): Promise<void>;
  /** The run ledger: the one way to read and write run, tile and chip state. */
  readonly ledger: RunLedger;
  /** Tell JetStream the handler is still alive (long downloads, warps). */
  working(): void;
  /** Add hls.* attributes to the handler's span (and its publishes' spans) and log bindings. */
  annotate(ids: SpanIds): void;
  readonly signal: AbortSignal;
}

export type Handler<S extends Subject> = (event: EventOf<S>, ctx: ServiceContext) => Promise<void>;

/** Config the process was started with (services read per-run settings from ctx.run()). */
export type ProcessConfig = Config;
