// Services started together (a compose file, a Deployment's pods, `demo --processes`) set up the same stream,
// buckets and consumers at once on a fresh server: every one of them must come up. nats-server may answer a
// create that raced another "subjects overlap" or "name already in use"; the set-up asks again and finds it.
import { KV_BUCKETS, NatsConfigSchema, OBJECT_BUCKETS, STREAMS } from '@hls/contracts';
import { createLogger } from '@hls/telemetry';
import { spawnNatsServer } from '@hls/testing';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Bus } from './bus.ts';

const log = createLogger({ name: 'test', level: 'silent', pretty: false });

describe('set-up raced by other processes', () => {
  const servers: Awaited<ReturnType<typeof spawnNatsServer>>[] = [];
  const buses: Bus[] = [];
  after(async () => {
    await Promise.all(buses.map((b) => b.close().catch(() => undefined)));
    for (const s of servers) await s.stop();
  });

  it('sixteen connections setting up the topology at once on fresh servers all succeed, and it is made once', { timeout: 120_000 }, async () => {
    // Fresh servers, each raced by sixteen connections: one race rarely loses, twelve in a row usually do (without
    // the repeat, round 4 of one run failed with "subjects overlap with an existing stream").
    for (let round = 0; round < 12; round++) {
      const server = await spawnNatsServer();
      servers.push(server);
      const conns = await Promise.all(Array.from({ length: 16 }, (_, i) => Bus.connect({ nats: NatsConfigSchema.parse({ url: server.url }), name: `racer-${round}-${i}`, log })));
      buses.push(...conns);
      const results = await Promise.allSettled(conns.map((b) => b.ensureTopology()));
      const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [`connection ${i}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`] : []));
      assert.deepEqual(failed, [], `round ${round}`);
      const names = [];
      for await (const s of conns[0]!.jsm.streams.list()) names.push(s.config.name);
      assert.deepEqual(names.sort(), [STREAMS.events.name, ...Object.values(KV_BUCKETS).map((b) => `KV_${b}`), ...Object.values(OBJECT_BUCKETS).map((b) => `OBJ_${b}`)].sort());
    }
  });
});
