// Handler tests against the real backbone: a ServiceContext built exactly as the services build it,
// on a Bus connected to a real nats-server (libs/testing startNats()), with the run spec stored in KV.
// What the handler published is read back from the JetStream stream, so schema validation, the
// Nats-Msg-Id de-duplication and KV behave as in production.
import { Bus } from '@hls/bus';
import {
  ConfigSchema,
  OBJECT_BUCKETS,
  STREAMS,
  SUBJECTS,
  makeEvent,
  parseEvent,
  runInputObject,
  withoutSecrets,
  type EventOf,
  type RunInputName,
  type RunInputRef,
  type ServiceName,
  type Subject,
} from '@hls/contracts';
import { RunLedger } from '@hls/ledger';
import { createLogger, tracer, type Logger } from '@hls/telemetry';
import type { ServiceContext } from './context.ts';
import { createServiceContext, type PublishAck } from './service.ts';
import { uploadRunInputs } from './run-inputs.ts';

/**
 * A run given by its id and config, and the inputs it uploads to the run-inputs object store (text or bytes;
 * `source` names them in messages). The chip payload and grid default to references to objects that do not
 * exist, for handlers that do not read them.
 */
export interface RunSpec {
  runId: string;
  /** Config as in a config file (ConfigSchema fills the defaults); give data_dir a temp dir. */
  config?: Record<string, unknown>;
  inputs?: { [K in RunInputName]?: string | Uint8Array };
  /** The file names the inputs' messages use (default: the object names). */
  sources?: { [K in RunInputName]?: string };
}

export interface RealContextOptions {
  /** The nats-server: a URL or a handle from startNats(). */
  nats: string | { url: string };
  service: ServiceName;
  run: EventOf<'hls.run.requested'> | RunSpec;
  log?: Logger;
}

export interface PublishedMessage {
  subject: string;
  /** The event as stored, validated against its subject's schema. */
  data: unknown;
  msgId: string | undefined;
  seq: number;
}

export interface RealServiceContext {
  ctx: ServiceContext;
  bus: Bus;
  /** The run spec as stored in KV. */
  run: EventOf<'hls.run.requested'>;
  /** Every publish through ctx as JetStream acknowledged it, duplicates included. */
  acks: PublishAck[];
  /** The messages stored in the stream (hls.>) since this context was made, oldest first. */
  published(): Promise<PublishedMessage[]>;
  close(): Promise<void>;
}

const missingObject = (runId: string, input: RunInputName): RunInputRef => ({ object: runInputObject(runId, input), sha256: '0'.repeat(64), bytes: 0 });

/** Input references for a run spec whose handlers under test read no input (the objects do not exist). */
export const unreadRunInputs = (runId: string): EventOf<'hls.run.requested'>['inputs'] => ({
  chipPayload: missingObject(runId, 'chipPayload'),
  grid: missingObject(runId, 'grid'),
  config: missingObject(runId, 'config'),
});

/** Upload the spec's inputs and make its hls.run.requested. */
async function runEvent(bus: Bus, run: RealContextOptions['run'], natsUrl: string): Promise<EventOf<'hls.run.requested'>> {
  if ('schemaVersion' in run) return run;
  const input = run.config ?? {};
  const config = ConfigSchema.parse({ ...input, nats: { ...(input.nats as object | undefined), url: natsUrl } });
  const enc = (v: string | Uint8Array): Uint8Array => (typeof v === 'string' ? new TextEncoder().encode(v) : v);
  const given = { config: JSON.stringify(withoutSecrets(config)), ...run.inputs };
  const data = Object.fromEntries(Object.entries(given).map(([k, v]) => [k, { bytes: enc(v), ...(run.sources?.[k as RunInputName] ? { source: run.sources[k as RunInputName] } : {}) }]));
  const { refs } = await uploadRunInputs(await bus.objects(OBJECT_BUCKETS.runInputs), run.runId, data);
  return makeEvent(SUBJECTS.runRequested, {
    runId: run.runId,
    requestedAt: new Date().toISOString(),
    config,
    inputs: {
      ...refs,
      chipPayload: refs.chipPayload ?? missingObject(run.runId, 'chipPayload'),
      grid: refs.grid ?? missingObject(run.runId, 'grid'),
      config: refs.config ?? missingObject(run.runId, 'config'),
    },
  });
}

const isSubject = (s: string): s is Subject => (Object.values(SUBJECTS) as string[]).includes(s);

/** Connect, ensure the topology, store the run spec and return the handler's context. */
export async function realServiceContext(opts: RealContextOptions): Promise<RealServiceContext> {
  const url = typeof opts.nats === 'string' ? opts.nats : opts.nats.url;
  const log = opts.log ?? createLogger({ name: opts.service, level: 'silent', pretty: false });
  const spec = opts.run;
  const nats = 'schemaVersion' in spec ? spec.config.nats : ConfigSchema.parse({ ...spec.config, nats: { ...(spec.config?.nats as object | undefined), url } }).nats;
  const bus = await Bus.connect({ nats, name: `${opts.service}-test`, log });
  try {
    await bus.ensureTopology();
    const run = await runEvent(bus, opts.run, url);
    const ledger = await RunLedger.open(bus);
    await ledger.recordRunRequested(run);
    // The ledger keeps the first spec of a run id: a second config under the same id would be ignored.
    const stored = (await ledger.runSpec(run.runId)) as EventOf<'hls.run.requested'>;
    if (JSON.stringify(stored.config) !== JSON.stringify(run.config))
      throw new Error(`run ${run.runId} is already stored on ${url} with another config: give each test config its own run id`);
    const start = (await bus.jsm.streams.info(STREAMS.events.name)).state.last_seq;
    const acks: PublishAck[] = [];
    const span = tracer().startSpan(`test ${opts.service}`);
    const ctx = createServiceContext({
      bus,
      service: opts.service,
      log,
      ledger,
      inputs: await bus.objects(OBJECT_BUCKETS.runInputs),
      runCache: new Map(),
      message: { span, signal: new AbortController().signal, working: () => undefined },
      onPublished: (a) => acks.push(a),
    });
    return {
      ctx,
      bus,
      run,
      acks,
      async published() {
        const stored = await bus.replay(STREAMS.events.subjects[0]);
        return stored
          .filter((m) => m.seq > start)
          .map((m) => ({ subject: m.subject, data: isSubject(m.subject) ? parseEvent(m.subject, m.data) : m.data, msgId: m.msgId, seq: m.seq }));
      },
      async close() {
        span.end();
        await bus.close();
      },
    };
  } catch (e) {
    await bus.close();
    throw e;
  }
}
