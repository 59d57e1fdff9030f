// The run-inputs object store on a real nats-server: bytes back as put, an unchanged put sends nothing,
// a read checks the referenced SHA-256, and the lookup-only opens create nothing.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ConfigSchema, KV_BUCKETS } from '@hls/contracts';
import { createLogger } from '@hls/telemetry';
import { startNats, type NatsHandle } from '@hls/testing';
import { Bus } from './bus.ts';
import { ObjectStoreError } from './object-store.ts';

let nats: NatsHandle;
let bus: Bus;
before(async () => {
  nats = await startNats();
  bus = await Bus.connect({ nats: ConfigSchema.parse({ nats: { url: nats.url } }).nats, name: 'object-store-test', log: createLogger({ name: 'test', level: 'silent', pretty: false }) });
});
after(async () => {
  await bus?.close();
  await nats?.stop();
});

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

test('object store: put, get checked by digest, an unchanged put uploads nothing', async () => {
  const store = await bus.objects('os-test');
  const first = await store.put('run-1/chips.geojson', bytes('{"type":"FeatureCollection","features":[]}'));
  assert.equal(first.uploaded, true);
  assert.equal(first.ref.sha256, createHash('sha256').update('{"type":"FeatureCollection","features":[]}').digest('hex'));
  assert.equal(first.ref.bytes, 42);
  assert.deepEqual(await store.stat('run-1/chips.geojson'), first.ref);
  assert.equal(new TextDecoder().decode(await store.get(first.ref)), '{"type":"FeatureCollection","features":[]}');

  const again = await store.put('run-1/chips.geojson', bytes('{"type":"FeatureCollection","features":[]}'));
  assert.deepEqual(again, { ref: first.ref, uploaded: false });

  // Other bytes under the name: a reader holding the first reference is told, naming the object.
  const changed = await store.put('run-1/chips.geojson', bytes('{}'));
  assert.equal(changed.uploaded, true);
  await assert.rejects(store.get(first.ref), (e: Error) => e instanceof ObjectStoreError && /object run-1\/chips\.geojson in bucket os-test: holds 2 bytes/.test(e.message));
  await assert.rejects(store.get({ ...first.ref, object: 'run-1/nope.json' }), (e: Error) => e instanceof ObjectStoreError && /run-1\/nope\.json in bucket os-test: no such object/.test(e.message));
  assert.deepEqual(await store.names(), ['run-1/chips.geojson']);
});

test('lookup-only opens: null for a missing bucket or stream, and nothing is created', async () => {
  const streams = async (): Promise<string[]> => {
    const out: string[] = [];
    for await (const s of bus.jsm.streams.names()) out.push(s);
    return out.sort();
  };
  const before = await streams();
  assert.equal(await bus.lookupKv(KV_BUCKETS.runs), null);
  assert.equal(await bus.lookupObjects('no-such-bucket'), null);
  assert.equal(await bus.lookupStream(), null);
  assert.deepEqual(await streams(), before);
  await bus.kv('lookup-kv');
  const kv = await bus.lookupKv('lookup-kv');
  assert.ok(kv);
  await kv.put('a', { n: 1 });
  assert.deepEqual((await kv.get('a'))?.value, { n: 1 });
  assert.ok(await bus.lookupObjects('os-test'));
});
