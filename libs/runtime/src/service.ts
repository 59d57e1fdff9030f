// Run one or more services in this process: one NATS connection, the durable consumers of each
// service's subjects, health/metrics endpoints, and a graceful SIGTERM (stop pulling, let in-flight
// handlers finish up to a deadline, nak the rest, exit 0).
import { forEachInWindow } from '@hls/common';
import { Bus, idsOf, type ConsumeOptions, type ConsumerHandle, type MessageContext, type ObjectBucket } from '@hls/bus';
import { CHIP_TERMINAL_SUBJECTS, OBJECT_BUCKETS, SERVICE_SUBJECTS, SUBJECTS, datasetDir, messageId, type Config, type EventOf, type ServiceName, type Subject } from '@hls/contracts';
import { RunLedger } from '@hls/ledger';
import { createLogger, hlsAttributes, type HlsIds, type Logger } from '@hls/telemetry';
import { resolve } from 'node:path';
import type { Handler, ServiceContext } from './context.ts';
import { NotImplementedError, TransientError, classifyError } from './errors.ts';
import { startHealthServer, type HealthServer } from './health.ts';
import { processMetrics, stageOfConsumer, type ServiceMetrics } from './metrics.ts';
import { readRunInput } from './run-inputs.ts';

export type ServiceHandlers = { [S in Subject]?: Handler<S> };

export interface ServiceDefinition {
  name: ServiceName;
  handlers: ServiceHandlers;
  /** Messages handled at once when the config has no `services.<name>` entry (default 1). */
  defaultConcurrency?(config: Config): number;
}

/**
 * A service as its app's factory (`createService()`) makes it: the definition, and stop() to close what the
 * factory made (worker pools, band sources). Whoever creates one stops it, after the consumers have stopped.
 */
export interface ServiceInstance {
  def: ServiceDefinition;
  stop(): Promise<void>;
}

/** A handler for a service whose logic is not written yet: it fails loudly to the DLQ. */
export function notImplemented<S extends Subject>(service: ServiceName, subject: S): Handler<S> {
  return async () => {
    throw new NotImplementedError(`${service} has no handler for ${subject} yet`);
  };
}

export interface StartOptions {
  config: Config;
  log?: Logger;
  /** Port for /healthz, /readyz, /metrics (default config.health_port); false for none (tests, a process that serves its own). */
  healthPort?: number | false;
  /** Override per-service consume options (tests use short ack waits and backoffs). */
  consume?: Partial<Record<ServiceName, ConsumeOptions>>;
}

export interface RunningServices {
  bus: Bus;
  metrics: ServiceMetrics;
  health?: HealthServer;
  consumers: ConsumerHandle[];
  stop(deadlineMs?: number): Promise<void>;
}

function tuningFor(cfg: Config, def: ServiceDefinition, override?: ConsumeOptions): ConsumeOptions {
  const t = cfg.services[def.name];
  return {
    ...(t ? { concurrency: t.concurrency, ackWaitMs: t.ack_wait_ms, maxDeliver: t.max_deliver } : def.defaultConcurrency ? { concurrency: def.defaultConcurrency(cfg) } : {}),
    ...override,
  };
}

/**
 * After a message is dead-lettered, its chips end failed with the reason, so the run still completes
 * and nothing is silently lost. Tile-level events without chip ids find them in the tile's KV record.
 */
async function failEntities(bus: Bus, ledger: RunLedger, service: string, subject: string, event: unknown, reason: string): Promise<void> {
  const ev = event as { runId?: string; tileId?: string; chipId?: string; chipIds?: string[] };
  if (!ev.runId) return;
  // A terminal chip event that cannot be handled is not a reason to give its chip a second state.
  if ((CHIP_TERMINAL_SUBJECTS as readonly string[]).includes(subject)) return;
  const runId = ev.runId;
  const why = `dlq:${service}: ${reason}`;
  // Without its request or its dataset step the run cannot end on its own: record it failed.
  if (subject === SUBJECTS.runRequested || subject === SUBJECTS.runCompleted) {
    await ledger.recordRunFailed(runId, why);
    return;
  }
  if (ev.chipId) {
    await bus.publish(SUBJECTS.chipFailed, { runId, chipId: ev.chipId, ...(ev.tileId ? { tileId: ev.tileId } : {}), reason: `dlq:${service}`, error: reason }, messageId(SUBJECTS.chipFailed, runId, ev.chipId));
    return;
  }
  if (!ev.tileId) return;
  const chipIds = ev.chipIds ?? (await ledger.tile(runId, ev.tileId))?.chipIds ?? [];
  const failed = { runId, tileId: ev.tileId, chipIds, reason: `dlq:${service}`, detail: why };
  await bus.publish(SUBJECTS.tileFailed, failed, messageId(SUBJECTS.tileFailed, runId, ev.tileId));
  await ledger.observe(SUBJECTS.tileFailed, failed);
  const tileId = ev.tileId;
  await forEachInWindow(chipIds, (chipId) => bus.publish(SUBJECTS.chipFailed, { runId, chipId, tileId, reason: `dlq:${service}`, error: reason }, messageId(SUBJECTS.chipFailed, runId, chipId)));
}

/** A publish as JetStream acknowledged it (duplicate: the Nats-Msg-Id was already stored). */
export interface PublishAck {
  subject: Subject;
  event: unknown;
  msgId: string;
  seq: number;
  duplicate: boolean;
}

/** What a handler's ServiceContext is made of: the process's bus and KV, and the message being handled. */
export interface ContextParts {
  bus: Bus;
  service: ServiceName;
  log: Logger;
  ledger: RunLedger;
  /** The run-inputs object store. */
  inputs: ObjectBucket;
  /** Run specs already read from KV, shared by the contexts of one process. */
  runCache: Map<string, EventOf<'hls.run.requested'>>;
  message: Pick<MessageContext, 'span' | 'signal' | 'working'>;
  /** Observe each acknowledged publish (tests compare redelivered events). */
  onPublished?(ack: PublishAck): void;
  /** Count what is published (default: the process's metrics). */
  metrics?: ServiceMetrics;
}

/** The ServiceContext a handler gets: the one way to build it, for services and tests alike. */
export function createServiceContext(p: ContextParts): ServiceContext {
  const { bus, service, ledger, runCache, message: m } = p;
  const metrics = p.metrics ?? processMetrics();
  let bound = p.log;
  // The ids the handler's span has: its publishes' spans get them too (a band event's tile chips).
  let known: HlsIds = {};
  const ctx: ServiceContext = {
    service,
    get log() {
      return bound;
    },
    async run(runId) {
      const hit = runCache.get(runId);
      if (hit) return hit;
      const ev = await ledger.runSpec(runId);
      if (!ev) throw new TransientError(`run ${runId}: the run ledger has no request of this run (yet)`);
      runCache.set(runId, ev);
      return ev;
    },
    async runInput(runId, input) {
      return readRunInput(p.inputs, await ctx.run(runId), input);
    },
    async datasetDir(runId) {
      const { config } = await ctx.run(runId);
      return datasetDir(resolve(config.data_dir), config.train_dataset_name);
    },
    async publish(subject, event, msgId) {
      const ack = await bus.publish(subject, event, msgId, known);
      if (!ack.duplicate) metrics.published(subject, event);
      // The ledger keeps the tile's state from what was published about it (after the publish: a crash in
      // between is redelivered, publishes the same id again and records it then).
      await ledger.observe(subject, event);
      p.onPublished?.({ subject, event, msgId, ...ack });
    },
    ledger,
    working: () => m.working(),
    annotate(ids) {
      m.span.setAttributes(hlsAttributes(ids));
      // A tile's chip list is for spans: log lines would get too long.
      const { chipIds: _chipIds, ...logIds } = ids;
      known = { ...known, ...Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined)) };
      const bindings = Object.fromEntries(Object.entries(logIds).filter(([, v]) => v !== undefined));
      if (Object.keys(bindings).length > 0) bound = bound.child(bindings);
    },
    signal: m.signal,
  };
  return ctx;
}

export async function startServices(defs: ServiceDefinition[], opts: StartOptions): Promise<RunningServices> {
  const log = opts.log ?? createLogger({ name: defs.map((d) => d.name).join('+') });
  const bus = await Bus.connect({ nats: opts.config.nats, name: defs.map((d) => d.name).join('+'), log });
  const metrics = processMetrics();
  const consumers: ConsumerHandle[] = [];
  let ready = false;
  try {
    const tuning = Object.fromEntries(defs.map((d) => [d.name, tuningFor(opts.config, d, opts.consume?.[d.name])]));
    await bus.ensureTopology(tuning);
    const ledger = await RunLedger.open(bus);
    const inputs = await bus.objects(OBJECT_BUCKETS.runInputs);
    const runCache = new Map<string, EventOf<'hls.run.requested'>>();
    // Every consumer at once (their set-up is a few round trips each); all settle before a failure is thrown,
    // and closing the bus then ends the ones that started.
    const starting = defs.flatMap((def) => {
      const slog = log.child({ service: def.name });
      return SERVICE_SUBJECTS[def.name].map((subject) => {
        const handler = (def.handlers[subject] ?? notImplemented(def.name, subject)) as Handler<Subject>;
        return bus.consume(
          def.name,
          subject,
          async (ev, m) => {
            const ids = idsOf(ev);
            const ctx = createServiceContext({ bus, service: def.name, log: slog.child({ subject }), ledger, inputs, runCache, message: m, metrics });
            const stage = stageOfConsumer(def.name, subject);
            if (stage) m.span.setAttribute('hls.stage', stage);
            // Tile-level events without the tile's chip list (a band's) find it in the ledger, so every span
            // of a tile names its chips.
            if (!ids.chipId && !ids.chipIds && ids.runId && ids.tileId) ids.chipIds = (await ledger.tile(ids.runId, ids.tileId))?.chipIds;
            ctx.annotate(ids);
            return handler(ev, ctx);
          },
          {
            ...tuning[def.name],
            classify: classifyError,
            hooks: {
              onStart: (s, deliveries) => metrics.start(def.name, s, deliveries),
              onFinish: (s, outcome, secs) => metrics.finish(def.name, s, outcome, secs),
              onDeadLetter: (s, ev, reason) => failEntities(bus, ledger, def.name, s, ev, reason),
            },
          },
        );
      });
    });
    const started = await Promise.allSettled(starting);
    for (const c of started) if (c.status === 'fulfilled') consumers.push(c.value);
    const failed = started.find((c) => c.status === 'rejected');
    if (failed) throw failed.reason;
    for (const def of defs) log.child({ service: def.name }).info({ subjects: SERVICE_SUBJECTS[def.name] }, `${def.name} consuming`);
    ready = true;
  } catch (e) {
    await bus.close();
    throw e;
  }
  const port = opts.healthPort === undefined ? opts.config.health_port : opts.healthPort;
  const health = port === false ? undefined : await startHealthServer({ port, host: opts.config.health_host, ready: () => ready && !bus.nc.isClosed(), metrics });
  return {
    bus,
    metrics,
    health,
    consumers,
    async stop(deadlineMs = 30_000) {
      ready = false;
      await Promise.all(consumers.map((c) => c.stop(deadlineMs)));
      await health?.close();
      await bus.close();
    },
  };
}

/**
 * Process entry for services: start them, and on SIGTERM/SIGINT stop pulling, finish in-flight
 * work up to the deadline, nak the rest and exit 0.
 */
export async function runServicesMain(defs: ServiceDefinition[], opts: StartOptions & { shutdownDeadlineMs?: number; onStopped?: () => Promise<void> }): Promise<RunningServices> {
  const running = await startServices(defs, opts);
  const log = opts.log ?? createLogger({ name: 'runtime' });
  let stopping = false;
  const onSignal = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig, inFlight: running.metrics.inFlight }, 'stopping: finishing in-flight messages');
    running
      .stop(opts.shutdownDeadlineMs ?? Number(process.env.HLS_SHUTDOWN_DEADLINE_MS ?? 30_000))
      .then(() => opts.onStopped?.())
      .then(
        () => process.exit(0),
        (e: unknown) => {
          log.error({ err: e }, 'error while stopping');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  return running;
}
