// Prometheus metrics of a process (prom-client): Node and process metrics, message handling (handled,
// failed, in flight, latency by stage, redeliveries) and domain counters read from what the process
// publishes (bands fetched and bytes by source, chips by terminal state and reason), plus warp seconds.
// One registry per process: every service of an in-process run shares it, behind one /metrics.
import { CHIP_TERMINAL_SUBJECTS, FLOW, SUBJECTS, type Stage } from '@hls/contracts';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** The stage whose step a service's consumer of a subject is (from the flow). */
export function stageOfConsumer(service: string, subject: string): Stage | undefined {
  return FLOW.find((f) => f.service === service && (f.consumes as readonly string[]).includes(subject))?.stage;
}

const terminalState: Partial<Record<string, string>> = {
  [SUBJECTS.chipAccepted]: 'accepted',
  [SUBJECTS.chipRejected]: 'rejected',
  [SUBJECTS.chipFailed]: 'failed',
};

export class ServiceMetrics {
  readonly registry = new Registry();
  #inFlight = 0;
  readonly #handled = new Counter({ name: 'hls_messages_handled_total', help: 'Messages handled, by outcome (ok, retry, dlq).', labelNames: ['service', 'subject', 'outcome'], registers: [this.registry] });
  readonly #failed = new Counter({ name: 'hls_messages_failed_total', help: 'Messages that went to the DLQ.', labelNames: ['service', 'subject'], registers: [this.registry] });
  readonly #inflightGauge = new Gauge({ name: 'hls_messages_in_flight', help: 'Messages being handled now.', labelNames: ['service', 'subject'], registers: [this.registry] });
  readonly #handler = new Histogram({ name: 'hls_handler_duration_seconds', help: 'Handler latency.', labelNames: ['service', 'subject'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly #stage = new Histogram({ name: 'hls_stage_duration_seconds', help: 'Latency of one message of a pipeline stage (the flow stages), successful handlings.', labelNames: ['stage', 'service'], buckets: LATENCY_BUCKETS, registers: [this.registry] });
  readonly #redeliveries = new Counter({ name: 'hls_consumer_redeliveries_total', help: 'Messages delivered again (after a retry, an ack timeout or a crash).', labelNames: ['service', 'subject'], registers: [this.registry] });
  readonly #bands = new Counter({ name: 'hls_bands_fetched_total', help: 'Bands fetched, by band source (reused: already there and verified).', labelNames: ['source', 'reused'], registers: [this.registry] });
  readonly #bandBytes = new Counter({ name: 'hls_band_bytes_total', help: 'Bytes of the bands fetched, by band source.', labelNames: ['source'], registers: [this.registry] });
  readonly #chips = new Counter({ name: 'hls_chips_terminal_total', help: 'Chips that reached a terminal state, by state and reason.', labelNames: ['state', 'reason'], registers: [this.registry] });
  readonly #warp = new Histogram({ name: 'hls_warp_seconds', help: 'Seconds to warp one band onto the CDL grid.', labelNames: ['band'], buckets: LATENCY_BUCKETS, registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  start(service: string, subject: string, deliveryCount = 1): void {
    this.#inFlight++;
    this.#inflightGauge.inc({ service, subject });
    if (deliveryCount > 1) this.#redeliveries.inc({ service, subject });
  }

  finish(service: string, subject: string, outcome: 'ok' | 'retry' | 'dlq', seconds: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#inflightGauge.dec({ service, subject });
    this.#handled.inc({ service, subject, outcome });
    if (outcome === 'dlq') this.#failed.inc({ service, subject });
    this.#handler.observe({ service, subject }, seconds);
    const stage = stageOfConsumer(service, subject);
    if (stage && outcome === 'ok') this.#stage.observe({ stage, service }, seconds);
  }

  /** Count what an event says happened (called once per acknowledged, non-duplicate publish). */
  published(subject: string, event: unknown): void {
    const ev = (typeof event === 'object' && event !== null ? event : {}) as { source?: unknown; bytes?: unknown; reused?: unknown; reason?: unknown };
    if (subject === SUBJECTS.bandFetched) {
      const source = typeof ev.source === 'string' ? ev.source : 'unknown';
      this.#bands.inc({ source, reused: String(ev.reused === true) });
      if (ev.reused !== true && typeof ev.bytes === 'number') this.#bandBytes.inc({ source }, ev.bytes);
    }
    const state = terminalState[subject];
    if (state && (CHIP_TERMINAL_SUBJECTS as readonly string[]).includes(subject)) {
      // The reason up to its first ':' (as `status` counts them): the rest names a band or CID, and a label
      // per CID would be a series per chip.
      const reason = typeof ev.reason === 'string' ? (ev.reason.split(':')[0] ?? ev.reason) : state === 'accepted' ? 'none' : 'unknown';
      this.#chips.inc({ state, reason });
    }
  }

  warped(band: string, seconds: number): void {
    this.#warp.observe({ band }, seconds);
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

let shared: ServiceMetrics | undefined;
/** The process's metrics (one registry, one /metrics, whatever services run in the process). */
export function processMetrics(): ServiceMetrics {
  shared ??= new ServiceMetrics();
  return shared;
}
