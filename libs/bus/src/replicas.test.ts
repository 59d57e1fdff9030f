// Stream and KV replicas on a real 3-node JetStream cluster (what deploy/k8s runs: nats.replicas 3):
// the stream and every bucket get nats.replicas; a topology made with 1 before the cluster grew is
// raised when the services start with 3; a client with the default 1 does not shrink it again.
import { KV_BUCKETS, NatsConfigSchema, STREAMS } from '@hls/contracts';
import { createLogger } from '@hls/telemetry';
import { freePort, spawnNatsServer, waitFor } from '@hls/testing';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Bus } from './bus.ts';

const log = createLogger({ name: 'test', level: 'silent', pretty: false });

describe('replicas on a 3-node NATS cluster', () => {
  const servers: Awaited<ReturnType<typeof spawnNatsServer>>[] = [];
  const buses: Bus[] = [];
  let url = '';

  before(async () => {
    const routes = await Promise.all([freePort(), freePort(), freePort()]);
    const routeUrls = routes.map((p) => `nats://127.0.0.1:${p}`).join(',');
    for (const [i, p] of routes.entries())
      servers.push(await spawnNatsServer(['--server_name', `n${i + 1}`, '--cluster_name', 'hls', '--cluster', `nats://127.0.0.1:${p}`, '--routes', routeUrls]));
    url = servers.map((s) => s.url).join(',');
    // The servers listen before they elect a JetStream meta leader and know each other as peers: ready
    // when a 3-replica stream can be placed.
    const nc = await natsConnect({ servers: url.split(',') });
    try {
      const placed = async () => {
        try {
          const jsm = await jetstreamManager(nc);
          await jsm.streams.add({ name: 'PLACEMENT', subjects: ['placement'], num_replicas: 3 });
          await jsm.streams.delete('PLACEMENT');
          return true;
        } catch {
          return false;
        }
      };
      await waitFor(placed, { timeoutMs: 120_000, intervalMs: 500, what: 'a JetStream cluster that places 3 replicas' });
    } finally {
      await nc.close();
    }
  });

  after(async () => {
    for (const b of buses) await b.close();
    for (const s of servers) await s.stop();
  });

  async function connect(replicas: number): Promise<Bus> {
    const bus = await Bus.connect({ nats: NatsConfigSchema.parse({ url, replicas }), name: `test-r${replicas}`, log });
    buses.push(bus);
    return bus;
  }

  async function replicasOf(bus: Bus): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const name of [STREAMS.events.name, ...Object.values(KV_BUCKETS).map((b) => `KV_${b}`)])
      out[name] = (await bus.jsm.streams.info(name)).config.num_replicas;
    return out;
  }
  const all = (n: number) => Object.fromEntries([STREAMS.events.name, ...Object.values(KV_BUCKETS).map((b) => `KV_${b}`)].map((k) => [k, n]));

  it('creates with 1, raises to 3 when started with 3, and keeps 3 for a client with the default 1', async () => {
    const one = await connect(1);
    await one.ensureTopology();
    assert.deepEqual(await replicasOf(one), all(1));

    const three = await connect(3);
    await three.ensureTopology();
    assert.deepEqual(await replicasOf(three), all(3));

    const client = await connect(1);
    await client.ensureStream();
    for (const b of Object.values(KV_BUCKETS)) await client.kv(b);
    assert.deepEqual(await replicasOf(client), all(3));
  });
});
