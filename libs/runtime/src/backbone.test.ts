// The backbone proofs, against a real nats-server spawned for this suite.
import { Bus, consumerName } from '@hls/bus';
import { ConfigSchema, DlqMessageSchema, STREAMS, SUBJECTS, dlqSubject, messageId, type ServiceName } from '@hls/contracts';
import { startNats, startOtlpReceiver, tempDir, waitFor, type NatsHandle } from '@hls/testing';
import { createLogger } from '@hls/telemetry';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KmlError } from '@hls/geo';
import { BlockMissingError } from '@hls/ipfs';
import { startServices, type RunningServices } from './service.ts';
import type { Handler } from './context.ts';

const log = createLogger({ name: 'test', level: 'silent', pretty: false });
let nats: NatsHandle;
const tmp = tempDir('hls-backbone-');
const children: ChildProcess[] = [];

before(async () => {
  nats = await startNats();
});
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await nats.stop();
  tmp.cleanup();
});

const config = () => ConfigSchema.parse({ nats: { url: nats.url } });

async function publisher(): Promise<Bus> {
  const bus = await Bus.connect({ nats: config().nats, name: 'test-publisher', log });
  await bus.ensureTopology();
  return bus;
}

const accepted = (runId: string, chipId: string) => ({ runId, chipId }) as never;

function analytics(handler: Handler<'hls.chip.accepted'>, consume: Record<string, unknown> = {}): Promise<RunningServices> {
  const name: ServiceName = 'dataset-analytics';
  return startServices([{ name, handlers: { [SUBJECTS.chipAccepted]: handler } }], {
    config: config(),
    log,
    healthPort: false,
    consume: { [name]: { ackWaitMs: 2000, maxDeliver: 3, backoffMs: [50], ...consume } },
  });
}

async function dlqMessages(service: string): Promise<Array<ReturnType<typeof DlqMessageSchema.parse>>> {
  const bus = await publisher();
  const msgs = await bus.replay(dlqSubject(service));
  await bus.close();
  return msgs.map((m) => DlqMessageSchema.parse(m.data));
}

function spawnWorker(env: Record<string, string>): ChildProcess {
  const c = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'proof-worker.ts')], {
    env: { ...process.env, NATS_URL: nats.url, OTEL_SDK_DISABLED: 'true', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(c);
  return c;
}

const lines = (f: string): string[] => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : []);

describe('backbone proofs (real nats-server)', { concurrency: false }, () => {
  it('1. two replicas share a durable consumer: 200 messages, each handled once', async () => {
    const seen: Array<[string, number]> = [];
    const replica = (n: number) => analytics(async (ev) => void seen.push([ev.chipId, n]), { concurrency: 4 });
    const [a, b] = [await replica(1), await replica(2)];
    const pub = await publisher();
    for (let i = 0; i < 200; i++) await pub.publish(SUBJECTS.chipAccepted, accepted('p1', `chip_${i}`), messageId(SUBJECTS.chipAccepted, 'p1', `chip_${i}`));
    await waitFor(() => seen.length >= 200, { what: '200 handled' });
    await new Promise((r) => setTimeout(r, 300));
    await Promise.all([a.stop(), b.stop(), pub.close()]);
    const ids = seen.map(([id]) => id);
    assert.equal(ids.length, 200);
    assert.equal(new Set(ids).size, 200);
    assert.ok(seen.some(([, n]) => n === 1) && seen.some(([, n]) => n === 2), 'both replicas took work');
  });

  it('2. SIGKILL of a replica mid-handler: the message is redelivered to the other, none lost', async () => {
    const out = join(tmp.dir, 'kill.log');
    const slow = spawnWorker({ OUT: out, DELAY_MS: '60000' });
    await waitFor(() => lines(out).some((l) => l.startsWith('ready')), { what: 'slow replica ready' });
    const pub = await publisher();
    await pub.publish(SUBJECTS.chipAccepted, accepted('p2', 'chip_kill'), messageId(SUBJECTS.chipAccepted, 'p2', 'chip_kill'));
    await waitFor(() => lines(out).includes(`start chip_kill ${slow.pid}`), { what: 'slow replica started the handler' });
    const fast = spawnWorker({ OUT: out, DELAY_MS: '0' });
    await waitFor(() => lines(out).includes(`ready ${fast.pid}`), { what: 'second replica ready' });
    slow.kill('SIGKILL');
    await waitFor(() => lines(out).includes(`done chip_kill ${fast.pid}`), { what: 'redelivery to the survivor', timeoutMs: 20_000 });
    fast.kill('SIGTERM');
    await new Promise((r) => fast.once('exit', r));
    await pub.close();
    assert.ok(!lines(out).includes(`done chip_kill ${slow.pid}`));
  });

  it('3. the same event published twice with one message id is delivered once', async () => {
    const seen: string[] = [];
    const svc = await analytics(async (ev) => void seen.push(ev.chipId));
    const pub = await publisher();
    const id = messageId(SUBJECTS.chipAccepted, 'p3', 'chip_dup');
    const first = await pub.publish(SUBJECTS.chipAccepted, accepted('p3', 'chip_dup'), id);
    const second = await pub.publish(SUBJECTS.chipAccepted, accepted('p3', 'chip_dup'), id);
    assert.equal(first.duplicate, false);
    assert.equal(second.duplicate, true);
    await pub.publish(SUBJECTS.chipAccepted, accepted('p3', 'chip_after'), messageId(SUBJECTS.chipAccepted, 'p3', 'chip_after'));
    await waitFor(() => seen.includes('chip_after'), { what: 'marker' });
    await Promise.all([svc.stop(), pub.close()]);
    assert.deepEqual(seen.filter((s) => s === 'chip_dup'), ['chip_dup']);
  });

  it('4. a handler that always throws: after maxDeliver the message is in the DLQ, the consumer goes on', async () => {
    const attempts = new Map<string, number>();
    const svc = await analytics(async (ev) => {
      attempts.set(ev.chipId, (attempts.get(ev.chipId) ?? 0) + 1);
      if (ev.chipId === 'chip_poison') throw new Error('disk on fire while writing chip_poison');
    });
    const pub = await publisher();
    await pub.publish(SUBJECTS.chipAccepted, accepted('p4', 'chip_poison'), messageId(SUBJECTS.chipAccepted, 'p4', 'chip_poison'));
    await waitFor(() => attempts.get('chip_poison') === 3, { what: '3 deliveries' });
    await pub.publish(SUBJECTS.chipAccepted, accepted('p4', 'chip_next'), messageId(SUBJECTS.chipAccepted, 'p4', 'chip_next'));
    await waitFor(() => attempts.get('chip_next') === 1, { what: 'next message served' });
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all([svc.stop(), pub.close()]);
    assert.equal(attempts.get('chip_poison'), 3);
    const dlq = (await dlqMessages('dataset-analytics')).filter((d) => d.payload.includes('chip_poison') && d.subject === SUBJECTS.chipAccepted);
    assert.equal(dlq.length, 1);
    assert.match(dlq[0]!.error, /disk on fire while writing chip_poison/);
    assert.equal(dlq[0]!.subject, SUBJECTS.chipAccepted);
    assert.equal(dlq[0]!.deliveries, 3);
    assert.ok('Nats-Msg-Id' in dlq[0]!.headers);
  });

  it('5. trace context crosses processes: the consumer span is under the producer trace in what was exported', async () => {
    const otlp = await startOtlpReceiver();
    const out = join(tmp.dir, 'trace.log');
    const otelEnv = {
      OTEL_SDK_DISABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    const consumer = spawnWorker({ OUT: out, OTEL_SERVICE_NAME: 'proof-consumer', ...otelEnv });
    await waitFor(() => lines(out).some((l) => l.startsWith('ready')), { what: 'consumer ready' });
    const producer = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'proof-producer.ts')], {
      env: { ...process.env, NATS_URL: nats.url, CHIP_ID: 'chip_trace', ...otelEnv },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    producer.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    await new Promise((r) => producer.once('exit', r));
    const { traceId } = JSON.parse(stdout.trim()) as { traceId: string };
    assert.match(traceId, /^[0-9a-f]{32}$/);
    await waitFor(() => lines(out).includes(`done chip_trace ${consumer.pid}`), { what: 'consumed' });
    consumer.kill('SIGTERM');
    await new Promise((r) => consumer.once('exit', r));
    const span = await waitFor(() => otlp.spans.find((s) => s.serviceName === 'proof-consumer' && s.traceId === traceId), { what: 'consumer span exported' });
    const producerSpans = otlp.spans.filter((s) => s.serviceName === 'proof-producer' && s.traceId === traceId);
    assert.ok(producerSpans.some((p) => p.spanId === span.parentSpanId && p.name === 'publish hls.chip.accepted'), 'consumer span is the child of the publish span');
    assert.equal(span.attributes['hls.chip_id'], 'chip_trace');
    assert.equal(span.attributes['hls.run_id'], 'trace-run');
    await otlp.close();
  });

  it('6. SIGTERM during a slow handler: it finishes, the message is acked once, exit 0', async () => {
    const out = join(tmp.dir, 'term.log');
    const w = spawnWorker({ OUT: out, DELAY_MS: '1500', ACK_WAIT_MS: '5000' });
    await waitFor(() => lines(out).some((l) => l.startsWith('ready')), { what: 'worker ready' });
    const pub = await publisher();
    await pub.publish(SUBJECTS.chipAccepted, accepted('p6', 'chip_term'), messageId(SUBJECTS.chipAccepted, 'p6', 'chip_term'));
    await waitFor(() => lines(out).includes(`start chip_term ${w.pid}`), { what: 'handler started' });
    const exited = new Promise<number | null>((r) => w.once('exit', (code) => r(code)));
    w.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.ok(lines(out).includes(`done chip_term ${w.pid}`));
    // Acked once: a fresh replica gets nothing to redo, even after the ack wait.
    const again: string[] = [];
    const svc = await analytics(async (ev) => void again.push(ev.chipId));
    await new Promise((r) => setTimeout(r, 2500));
    await Promise.all([svc.stop(), pub.close()]);
    assert.equal(again.filter((c) => c === 'chip_term').length, 0);
    assert.equal(lines(out).filter((l) => l.startsWith('done chip_term')).length, 1);
  });

  it('7. malformed JSON and schema-invalid events land in the DLQ with the reason, each handled exactly once', async () => {
    const seen: string[] = [];
    const svc = await analytics(async (ev) => void seen.push(ev.chipId));
    const pub = await publisher();
    const consumer = consumerName('dataset-analytics', SUBJECTS.chipAccepted);
    const deliveries = async (): Promise<number> => (await pub.jsm.consumers.info(STREAMS.events.name, consumer)).delivered.consumer_seq;
    try {
      const before = await deliveries();
      await pub.publishRaw(SUBJECTS.chipAccepted, '{"runId": "p7", "chipId": ', { msgId: 'bad-json' });
      await pub.publishRaw(SUBJECTS.chipAccepted, JSON.stringify({ schemaVersion: 1, runId: 'p7', chipId: '../../etc/passwd' }), { msgId: 'bad-schema' });
      await pub.publish(SUBJECTS.chipAccepted, accepted('p7', 'chip_ok'), messageId(SUBJECTS.chipAccepted, 'p7', 'chip_ok'));
      await waitFor(() => seen.includes('chip_ok'), { what: 'good message after bad ones' });
      // Past two ack waits (2 s each): a message that was not terminated would have been delivered again by now.
      // (The DLQ de-duplicates by message id, so the consumer's own delivery count is what tells.)
      await new Promise((r) => setTimeout(r, 5000));
      assert.equal((await deliveries()) - before, 3, '3 messages, 3 deliveries: permanent failures are terminated, not redelivered');
    } finally {
      await Promise.all([svc.stop(), pub.close()]);
    }
    const dlq = await dlqMessages('dataset-analytics');
    const bad = dlq.find((d) => d.payload.startsWith('{"runId": "p7"'));
    assert.ok(bad, 'malformed JSON dead-lettered');
    assert.match(bad.error, /malformed message on hls\.chip\.accepted.*not UTF-8 JSON/);
    const invalid = dlq.find((d) => d.payload.includes('etc/passwd'));
    assert.ok(invalid, 'schema-invalid event dead-lettered');
    assert.match(invalid.error, /invalid hls\.chip\.accepted event: chipId/);
    assert.equal(invalid.deliveries, 1, 'permanent errors are not retried');
  });

  it('8. the classification decides: bad input and a missing file go to the DLQ at once, a refused connection and a missing block are retried', async () => {
    // A port that was just free: a connection to it is refused (a real ECONNREFUSED).
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address() as AddressInfo;
    await new Promise((r) => srv.close(r));
    const attempts = new Map<string, number>();
    const svc = await analytics(async (ev) => {
      attempts.set(ev.chipId, (attempts.get(ev.chipId) ?? 0) + 1);
      if (ev.chipId === 'chip_kml') throw new KmlError('grid.kml: Placemark #3 has no <name>');
      if (ev.chipId === 'chip_missing') await readFile(join(tmp.dir, 'no-such-input.geojson'));
      if (ev.chipId === 'chip_refused') await fetch(`http://127.0.0.1:${port}/`);
      if (ev.chipId === 'chip_block') throw new BlockMissingError('gateway: HTTP 404 (not found)');
    });
    const pub = await publisher();
    const chips = ['chip_kml', 'chip_missing', 'chip_refused', 'chip_block'];
    try {
      for (const c of chips) await pub.publish(SUBJECTS.chipAccepted, accepted('p8', c), messageId(SUBJECTS.chipAccepted, 'p8', c));
      const dlq = await waitFor(
        async () => {
          const d = (await dlqMessages('dataset-analytics')).filter((m) => m.payload.includes('"p8"'));
          return d.length === chips.length ? d : undefined;
        },
        { what: 'the 4 messages dead-lettered', intervalMs: 500 },
      );
      const deliveries = Object.fromEntries(chips.map((c) => [c, dlq.find((m) => m.payload.includes(c))?.deliveries]));
      assert.deepEqual(deliveries, { chip_kml: 1, chip_missing: 1, chip_refused: 3, chip_block: 3 });
      assert.match(dlq.find((m) => m.payload.includes('chip_missing'))!.error, /ENOENT/);
    } finally {
      await Promise.all([svc.stop(), pub.close()]);
    }
  });

  it("9. a service with no services.<name> entry handles its definition's default number at once; the config's entry wins", async () => {
    for (const [services, want] of [[{}, 3], [{ 'dataset-analytics': { concurrency: 2 } }, 2]] as const) {
      const runId = `p9-${want}`;
      let running = 0;
      let peak = 0;
      let done = 0;
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const svc = await startServices(
        [
          {
            name: 'dataset-analytics',
            handlers: {
              [SUBJECTS.chipAccepted]: async (ev) => {
                if (ev.runId !== runId) return;
                peak = Math.max(peak, ++running);
                await gate;
                running--;
                done++;
              },
            },
            defaultConcurrency: () => 3,
          },
        ],
        { config: ConfigSchema.parse({ nats: { url: nats.url }, services }), log, healthPort: false },
      );
      const pub = await publisher();
      for (let i = 0; i < 6; i++) await pub.publish(SUBJECTS.chipAccepted, accepted(runId, `chip_${i}`), messageId(SUBJECTS.chipAccepted, runId, `chip_${i}`));
      await waitFor(() => running === want, { what: `${want} handlers at once` });
      // Held long enough for a seventh pull to have started one more, were the limit higher.
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(peak, want);
      open();
      await waitFor(() => done === 6, { what: 'all six handled' });
      await Promise.all([svc.stop(), pub.close()]);
    }
  });

  it('KV compare-and-set lets exactly one of several racers win', async () => {
    const bus = await publisher();
    // A bucket of its own: the ledger's buckets are written by the ledger only.
    const kv = await bus.kv('hls-test-race');
    const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => kv.create('race.tile', { by: i })));
    assert.equal(wins.filter(Boolean).length, 1);
    const cur = await kv.get('race.tile');
    assert.ok(cur);
    const [u1, u2] = await Promise.all([kv.update('race.tile', { by: 'a' }, cur.revision), kv.update('race.tile', { by: 'b' }, cur.revision)]);
    assert.equal(Number(u1) + Number(u2), 1);
    await bus.close();
  });
});
