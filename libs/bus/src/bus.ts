// The JetStream backbone: stream, durable pull consumers and KV buckets created idempotently;
// publishing with Nats-Msg-Id de-duplication and W3C trace context; consuming with ack after success,
// nak with backoff on errors the caller's classifier retries, working() heartbeats, and a DLQ after maxDeliver.
import {
  DlqMessageSchema,
  KV_BUCKETS,
  OBJECT_BUCKETS,
  SERVICE_SUBJECTS,
  STREAMS,
  dlqSubject,
  makeEvent,
  parseEvent,
  type EventInput,
  type EventOf,
  type NatsConfig,
  type Subject,
} from '@hls/contracts';
import { SpanKind, extractTraceContext, hlsAttributes, injectTraceHeaders, withSpan, type HlsIds, type Logger, type Span } from '@hls/telemetry';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { NoRespondersError, TimeoutError, headers as natsHeaders, nanos, type MsgHdrs, type NatsConnection } from '@nats-io/nats-core';
import { PermanentError, TransientError } from '@hls/common';
import { connectNats } from './connect.ts';
import { kvStore, type KvStore } from './kv.ts';
import { objectBucket, type ObjectBucket } from './object-store.ts';

export interface ConsumeOptions {
  /** Messages handled at once by this process. */
  concurrency?: number;
  ackWaitMs?: number;
  /** Deliveries before the message goes to the DLQ. */
  maxDeliver?: number;
  /** nak delays (ms) by attempt; the last repeats. Jitter of +-20 % is added. */
  backoffMs?: number[];
  /** Give up a handler after this long (it is aborted and treated as a transient failure). */
  handlerTimeoutMs?: number;
  /** Keep the message alive while the handler runs (working() every ackWait/3). */
  autoHeartbeat?: boolean;
  hooks?: ConsumeHooks;
}

/** What to do with a message whose handler threw: the runtime's classifyError. */
export type ErrorClassifier = (e: unknown) => 'retry' | 'dead-letter';

export interface ConsumeHooks {
  /** deliveryCount > 1: a redelivery. */
  onStart?(subject: string, deliveryCount: number): void;
  onFinish?(subject: string, outcome: 'ok' | 'retry' | 'dlq', seconds: number): void;
  /** Called after a DLQ publish with the event when it parsed (to mark its chips/tile failed). */
  onDeadLetter?(subject: string, event: unknown, reason: string): Promise<void>;
}

export interface MessageContext {
  subject: string;
  deliveryCount: number;
  headers: MsgHdrs | undefined;
  signal: AbortSignal;
  span: Span;
  working(): void;
}

/** A message as stored in the stream (Bus.replay). */
export interface StoredMessage {
  subject: string;
  seq: number;
  /** Parsed JSON, or the text when it is not JSON. */
  data: unknown;
  /** The Nats-Msg-Id it was published under, if any. */
  msgId: string | undefined;
  headers: Record<string, string[]>;
}

function headerRecord(h: MsgHdrs | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (h) for (const [k, v] of h) out[k] = v;
  return out;
}

export type BusHandler<S extends Subject> = (event: EventOf<S>, m: MessageContext) => Promise<void>;

export interface ConsumerHandle {
  readonly name: string;
  readonly inFlight: number;
  /** Stop pulling; wait up to deadlineMs for in-flight handlers; nak what is left. */
  stop(deadlineMs?: number): Promise<void>;
  /** Resolves when the consume loop has ended. */
  readonly closed: Promise<void>;
}

export const DEFAULT_CONSUME: Required<Omit<ConsumeOptions, 'hooks'>> = {
  concurrency: 1,
  ackWaitMs: 60_000,
  maxDeliver: 5,
  backoffMs: [1_000, 5_000, 15_000, 30_000, 60_000],
  handlerTimeoutMs: 60 * 60_000,
  autoHeartbeat: true,
};

/** Consumer name for a service and subject: `chipper--hls_tile_reprojected`. */
export const consumerName = (service: string, subject: string): string => `${service}--${subject.replaceAll('.', '_')}`;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The hls.* ids an event carries (chipIds: the tile's chips, on tile-level events). */
export function idsOf(ev: unknown): HlsIds {
  if (typeof ev !== 'object' || ev === null) return {};
  const o = ev as Record<string, unknown>;
  const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const scene = typeof o.scene === 'object' && o.scene !== null ? (o.scene as Record<string, unknown>) : undefined;
  const granule = s('granuleId') ?? (typeof scene?.granuleId === 'string' ? scene.granuleId : undefined);
  const chipIds = Array.isArray(o.chipIds) ? o.chipIds.filter((c): c is string => typeof c === 'string') : undefined;
  return { runId: s('runId'), tileId: s('tileId'), chipId: s('chipId'), chipIds, granuleId: granule };
}

export interface BusOptions {
  nats: NatsConfig;
  /** Connection name (service name) shown by the server. */
  name: string;
  log: Logger;
}

/** How long a JetStream management request (stream, consumer, bucket set-up) may take. */
const JSM_TIMEOUT_MS = 30_000;

/**
 * Run a set-up call again while the cluster cannot answer it yet: right after servers start or replicas
 * change, JetStream elects stream leaders and answers 503 (no responders), "temporarily unavailable" or
 * not at all. Also when it raced another process's set-up: services started together (a compose file, a
 * Deployment's pods) create the same streams and buckets at once, and nats-server may answer the second
 * create "subjects overlap" or "name already in use" while the first is being made; asked again, the
 * stream is there. Set-up is idempotent, so a repeat is safe.
 */
async function settled<T>(call: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (e) {
      if (i >= attempts || !isClusterSettling(e)) throw e;
      await new Promise((r) => setTimeout(r, 500 * 2 ** (i - 1)));
    }
  }
}

/** JetStream API error codes a set-up call may meet while another process makes the same stream. */
const CREATE_RACE = new Set([
  // "stream name already in use with a different configuration"
  10058,
  // "subjects overlap with an existing stream"
  10065,
]);

function isClusterSettling(e: unknown): boolean {
  // 10008: "JetStream system temporarily unavailable" (no meta or stream leader yet).
  if (e instanceof JetStreamApiError) return e.status === 503 || e.code === 10008 || CREATE_RACE.has(e.code);
  return e instanceof TimeoutError || e instanceof NoRespondersError;
}

export class Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  /** For bucket set-up: the management timeout. */
  readonly #admin: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly log: Logger;
  readonly replicas: number;
  #kvs = new Map<string, KvStore>();
  #objects = new Map<string, ObjectBucket>();

  private constructor(nc: NatsConnection, jsm: JetStreamManager, log: Logger, replicas: number) {
    this.nc = nc;
    this.js = jetstream(nc);
    this.#admin = jetstream(nc, { timeout: JSM_TIMEOUT_MS });
    this.jsm = jsm;
    this.log = log;
    this.replicas = replicas;
  }

  static async connect(opts: BusOptions): Promise<Bus> {
    const nc = await connectNats(opts.nats, opts.name);
    // Stream and bucket changes on a cluster (raising replicas) take the servers more than the default 5 s
    // when they are busy; these are rare set-up calls, so they may wait.
    const jsm = await jetstreamManager(nc, { timeout: JSM_TIMEOUT_MS });
    return new Bus(nc, jsm, opts.log, opts.nats.replicas);
  }

  /** Stream, KV buckets and every service's durable consumers: safe to call from every process. */
  async ensureTopology(tuning: Record<string, ConsumeOptions> = {}): Promise<void> {
    await this.ensureStream();
    // The buckets and consumers do not depend on one another: asked for at once, a run's start waits for
    // about one round trip of the server's instead of some forty in turn (~0.2 s on a local file store).
    await Promise.all([
      ...Object.values(KV_BUCKETS).map((b) => this.kv(b)),
      ...Object.values(OBJECT_BUCKETS).map((b) => this.objects(b)),
      ...Object.entries(SERVICE_SUBJECTS).flatMap(([service, subjects]) => subjects.map((s) => this.ensureConsumer(service, s, tuning[service] ?? {}))),
    ]);
  }

  async ensureStream(): Promise<void> {
    await settled(() => this.#ensureStream());
  }

  async #ensureStream(): Promise<void> {
    const cfg = {
      name: STREAMS.events.name,
      subjects: [...STREAMS.events.subjects],
      // Long enough that a crashed and restarted publisher's re-publishes are still de-duplicated.
      duplicate_window: nanos(60 * 60_000),
      max_age: nanos(14 * 24 * 60 * 60_000),
      num_replicas: this.replicas,
    };
    try {
      const info = await this.jsm.streams.info(cfg.name);
      // Raise, never lower: a client with the default 1 (status, web, a laptop's submit) must not shrink
      // a cluster's stream.
      await this.jsm.streams.update(cfg.name, { ...cfg, num_replicas: Math.max(info.config.num_replicas, this.replicas) });
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) await this.jsm.streams.add(cfg);
      else throw e;
    }
  }

  ensureConsumer(service: string, subject: string, opts: ConsumeOptions): Promise<string> {
    return settled(() => this.#ensureConsumer(service, subject, opts));
  }

  async #ensureConsumer(service: string, subject: string, opts: ConsumeOptions): Promise<string> {
    const o = { ...DEFAULT_CONSUME, ...opts };
    const name = consumerName(service, subject);
    const cfg: Partial<ConsumerConfig> = {
      durable_name: name,
      filter_subject: subject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(o.ackWaitMs),
      // Two more than ours: a delivery past maxDeliver means a process died handling it; we DLQ it then.
      max_deliver: o.maxDeliver + 2,
      max_ack_pending: Math.max(1000, o.concurrency * 4),
    };
    try {
      await this.jsm.consumers.info(STREAMS.events.name, name);
      await this.jsm.consumers.update(STREAMS.events.name, name, {
        ack_wait: cfg.ack_wait,
        max_deliver: cfg.max_deliver,
        max_ack_pending: cfg.max_ack_pending,
      });
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.ConsumerNotFound) await this.jsm.consumers.add(STREAMS.events.name, cfg);
      else throw e;
    }
    return name;
  }

  async kv(bucket: string): Promise<KvStore> {
    let s = this.#kvs.get(bucket);
    if (!s) {
      const kv = await settled(async () => {
        const kv = await new Kvm(this.#admin).create(bucket, { history: 5, replicas: this.replicas });
        // create() leaves an existing bucket as it is: raise its replicas as ensureStream does the stream's.
        const { streamInfo } = await kv.status();
        if (streamInfo.config.num_replicas < this.replicas) await this.jsm.streams.update(streamInfo.config.name, { num_replicas: this.replicas });
        return kv;
      });
      s = kvStore(kv);
      this.#kvs.set(bucket, s);
    }
    return s;
  }

  /** The stream's name when it exists, null when not: for read-only commands, which never create it. */
  async lookupStream(): Promise<string | null> {
    return (await this.#streamExists(STREAMS.events.name)) ? STREAMS.events.name : null;
  }

  /** A KV bucket that exists, or null: nothing is created (read-only commands). */
  async lookupKv(bucket: string): Promise<KvStore | null> {
    const known = this.#kvs.get(bucket);
    if (known) return known;
    if (!(await this.#streamExists(`KV_${bucket}`))) return null;
    const s = kvStore(await new Kvm(this.js).open(bucket));
    this.#kvs.set(bucket, s);
    return s;
  }

  /** An Object Store bucket, created when missing (stream replicas as the config says). */
  async objects(bucket: string): Promise<ObjectBucket> {
    let s = this.#objects.get(bucket);
    if (!s) {
      s = objectBucket(bucket, await settled(() => new Objm(this.#admin).create(bucket, { replicas: this.replicas })));
      this.#objects.set(bucket, s);
    }
    return s;
  }

  /** An Object Store bucket that exists, or null: nothing is created. */
  async lookupObjects(bucket: string): Promise<ObjectBucket | null> {
    const known = this.#objects.get(bucket);
    if (known) return known;
    if (!(await this.#streamExists(`OBJ_${bucket}`))) return null;
    const s = objectBucket(bucket, await new Objm(this.js).open(bucket));
    this.#objects.set(bucket, s);
    return s;
  }

  async #streamExists(name: string): Promise<boolean> {
    try {
      await this.jsm.streams.info(name);
      return true;
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.StreamNotFound) return false;
      throw e;
    }
  }

  /**
   * Validate and publish an event with a deterministic message id, inside a producer span. `spanIds`: ids
   * the publisher knows beyond the event's own (a band event's tile chips); the event's ids win, and a
   * chip's event keeps its one chip id.
   */
  async publish<S extends Subject>(subject: S, input: EventInput<S>, msgId: string, spanIds: HlsIds = {}): Promise<{ duplicate: boolean; seq: number }> {
    const ev = makeEvent(subject, input);
    const own = idsOf(ev);
    const ids: HlsIds = { ...spanIds, ...Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined)) };
    if (own.chipId) delete ids.chipIds;
    return withSpan(`publish ${subject}`, { kind: SpanKind.PRODUCER, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, ...hlsAttributes(ids) } }, () =>
      this.publishRaw(subject, JSON.stringify(ev), { msgId }),
    );
  }

  /** Publish bytes as they are (tests, DLQ). The active trace context goes into the headers. */
  async publishRaw(subject: string, data: string | Uint8Array, opts: { msgId?: string; headers?: MsgHdrs } = {}): Promise<{ duplicate: boolean; seq: number }> {
    const h = opts.headers ?? natsHeaders();
    injectTraceHeaders(h);
    const ack = await this.js.publish(subject, data, { headers: h, ...(opts.msgId ? { msgID: opts.msgId } : {}) });
    return { duplicate: ack.duplicate, seq: ack.seq };
  }

  /**
   * Consume one subject on a service's durable pull consumer. Replicas of the service share it, so
   * each message is handled by one of them. Every message is validated against its subject's schema.
   */
  async consume<S extends Subject>(service: string, subject: S, handler: BusHandler<S>, options: ConsumeOptions & { classify: ErrorClassifier }): Promise<ConsumerHandle> {
    const o = { ...DEFAULT_CONSUME, ...options };
    const hooks = options.hooks ?? {};
    const classify = options.classify;
    const name = await this.ensureConsumer(service, subject, o);
    const consumer = await this.js.consumers.get(STREAMS.events.name, name);
    const messages = await consumer.consume({ max_messages: o.concurrency });
    const log = this.log.child({ consumer: name });
    const inflight = new Set<Promise<void>>();
    const controllers = new Set<AbortController>();
    let stopping = false;
    let slotFree: (() => void) | undefined;

    const handleOne = async (m: JsMsg): Promise<void> => {
      const started = performance.now();
      const deliveries = m.info.deliveryCount;
      hooks.onStart?.(subject, deliveries);
      const parent = extractTraceContext(m.headers);
      const ac = new AbortController();
      controllers.add(ac);
      let outcome: 'ok' | 'retry' | 'dlq' = 'ok';
      let event: unknown;
      await withSpan(`${service} process ${subject}`, { kind: SpanKind.CONSUMER, parent, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'hls.service': service, 'messaging.delivery_count': deliveries } }, async (span) => {
        const deadLetter = async (reason: string): Promise<void> => {
          outcome = 'dlq';
          await this.#deadLetter(service, m, reason);
          if (hooks.onDeadLetter && event !== undefined) {
            try {
              await hooks.onDeadLetter(subject, event, reason);
            } catch (e) {
              log.error({ err: e }, `could not mark the entities of a dead-lettered ${subject} failed`);
            }
          }
          // A plain TERM: the reason travels in the DLQ message; `+TERM <reason>` is not understood by every
          // server version we support (issue 15 saw 2.9.10 redeliver such messages).
          m.term();
        };
        try {
          let text: string;
          try {
            text = utf8.decode(m.data);
            event = JSON.parse(text) as unknown;
          } catch (e) {
            event = undefined;
            throw new PermanentError(`malformed message on ${subject} (stream seq ${m.seq}): not UTF-8 JSON: ${(e as Error).message}`);
          }
          const ev = parseEvent(subject, event);
          event = ev;
          span.setAttributes(hlsAttributes(idsOf(ev)));
          if (deliveries > o.maxDeliver) throw new PermanentError(`delivered ${deliveries} times (max ${o.maxDeliver}): a process died handling it each time`);
          const beat = o.autoHeartbeat ? setInterval(() => m.working(), Math.max(500, o.ackWaitMs / 3)) : undefined;
          const timer = setTimeout(() => ac.abort(new TransientError(`handler timed out after ${o.handlerTimeoutMs} ms`)), o.handlerTimeoutMs);
          try {
            await Promise.race([
              handler(ev, { subject, deliveryCount: deliveries, headers: m.headers, signal: ac.signal, span, working: () => m.working() }),
              new Promise<never>((_, rej) => ac.signal.addEventListener('abort', () => rej(ac.signal.reason as Error), { once: true })),
            ]);
          } finally {
            clearInterval(beat);
            clearTimeout(timer);
          }
          // Ack only once the server confirms it, so a crash right after cannot lose the outcome.
          await m.ackAck();
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          const ids = idsOf(event);
          if (classify(e) === 'dead-letter' || deliveries >= o.maxDeliver) {
            log.error({ err, ...ids, deliveries }, `${subject} failed for good: ${err.message}`);
            await deadLetter(err.message);
          } else {
            outcome = 'retry';
            const base = o.backoffMs[Math.min(deliveries - 1, o.backoffMs.length - 1)] ?? 1000;
            const delay = Math.round(base * (0.8 + Math.random() * 0.4));
            log.warn({ err, ...ids, deliveries, retryInMs: delay }, `${subject} failed, retrying: ${err.message}`);
            m.nak(delay);
          }
          throw err;
        }
      }).catch(() => undefined);
      controllers.delete(ac);
      hooks.onFinish?.(subject, outcome, (performance.now() - started) / 1000);
    };

    const loop = (async () => {
      for await (const m of messages) {
        if (stopping) {
          m.nak();
          continue;
        }
        const p = handleOne(m).finally(() => {
          inflight.delete(p);
          slotFree?.();
        });
        inflight.add(p);
        while (inflight.size >= o.concurrency && !stopping) await new Promise<void>((r) => (slotFree = r));
      }
    })();

    return {
      name,
      get inFlight() {
        return inflight.size;
      },
      closed: loop,
      async stop(deadlineMs = 30_000) {
        stopping = true;
        slotFree?.();
        await messages.close().catch(() => undefined);
        const all = Promise.allSettled([...inflight]);
        let deadline: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (deadline = setTimeout(() => r(true), deadlineMs)))]);
        clearTimeout(deadline);
        if (timedOut) {
          // Past the deadline: abort what is still running; those handlers nak (transient) and end.
          for (const c of controllers) c.abort(new TransientError('service stopping: handler interrupted at the shutdown deadline'));
          await all;
        }
        await loop.catch(() => undefined);
      },
    };
  }

  /**
   * Every stored message on a subject (or wildcard), oldest first, as parsed JSON: for status, the DLQ
   * and tests, with the Nats-Msg-Id each was published under. An ephemeral consumer that the server
   * removes after a short idle time.
   */
  async replay(subject: string, maxMessages = 100_000): Promise<StoredMessage[]> {
    const info = await this.jsm.consumers.add(STREAMS.events.name, {
      filter_subject: subject,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.All,
      inactive_threshold: nanos(30_000),
    });
    const c = await this.js.consumers.get(STREAMS.events.name, info.name);
    const out: StoredMessage[] = [];
    let pending = info.num_pending;
    while (pending > 0 && out.length < maxMessages) {
      const batch = await c.fetch({ max_messages: Math.min(pending, 256), expires: 2000 });
      let got = 0;
      for await (const m of batch) {
        got++;
        let data: unknown;
        try {
          data = m.json<unknown>();
        } catch {
          data = m.string();
        }
        const headers = headerRecord(m.headers);
        out.push({ subject: m.subject, seq: m.seq, data, msgId: headers['Nats-Msg-Id']?.[0], headers });
        pending = m.info.pending;
      }
      if (got === 0) break;
    }
    await this.jsm.consumers.delete(STREAMS.events.name, info.name).catch(() => undefined);
    return out;
  }

  async #deadLetter(service: string, m: JsMsg, error: string): Promise<void> {
    let payload: string;
    let payloadEncoding: 'utf8' | 'base64';
    try {
      payload = utf8.decode(m.data);
      payloadEncoding = 'utf8';
    } catch {
      payload = Buffer.from(m.data).toString('base64');
      payloadEncoding = 'base64';
    }
    const dlq = DlqMessageSchema.parse({ service, subject: m.subject, error, deliveries: m.info.deliveryCount, payload, payloadEncoding, headers: headerRecord(m.headers), at: new Date().toISOString() });
    await this.publishRaw(dlqSubject(service), JSON.stringify(dlq), { msgId: `dlq:${service}:${m.info.stream}:${m.seq}` });
  }

  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain().catch(() => this.nc.close());
  }
}
