// The run ledger on a real nats-server: records validated when read, the completion rule once across
// racing callers (0 expected chips included), terminal chips counted once, and a read-only lookup that
// creates nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Bus } from '@hls/bus';
import { ConfigSchema, KV_BUCKETS, SUBJECTS, makeEvent } from '@hls/contracts';
import { createLogger } from '@hls/telemetry';
import { unreadRunInputs } from '@hls/runtime/testing';
import { startNats, type NatsHandle } from '@hls/testing';
import { LedgerRecordError, RunLedger, type PublishCompleted } from './index.ts';
import type { KvStore } from '@hls/bus';

let nats: NatsHandle;
let bus: Bus;
before(async () => {
  nats = await startNats();
  bus = await Bus.connect({ nats: ConfigSchema.parse({ nats: { url: nats.url } }).nats, name: 'ledger-test', log: createLogger({ name: 'test', level: 'silent', pretty: false }) });
});
after(async () => {
  await bus?.close();
  await nats?.stop();
});

const collect = (): { published: unknown[]; publish: PublishCompleted } => {
  const published: unknown[] = [];
  return { published, publish: async (_s, ev) => void published.push(ev) };
};

test('lookup creates nothing and finds nothing on a fresh server; open creates the buckets', async () => {
  assert.equal(await RunLedger.lookup(bus), null);
  const names: string[] = [];
  for await (const s of bus.jsm.streams.list()) names.push(s.config.name);
  assert.deepEqual(names, []);
  await RunLedger.open(bus);
  assert.ok(await RunLedger.lookup(bus));
});

test('the run spec is kept once; a record that is not the ledger\'s is refused naming the key', async () => {
  const ledger = await RunLedger.open(bus);
  const config = ConfigSchema.parse({ data_dir: '/tmp/x' });
  const ev = makeEvent(SUBJECTS.runRequested, { runId: 'l1', requestedAt: 'now', config, inputs: unreadRunInputs('l1') });
  await ledger.recordRunRequested(ev);
  await ledger.recordRunRequested({ ...ev, requestedAt: 'later' });
  assert.equal((await ledger.runSpec('l1'))?.requestedAt, 'now');
  await (await bus.kv(KV_BUCKETS.runs)).put('l2', { expectedChips: 'many' });
  await assert.rejects(ledger.runRecord('l2'), (e: unknown) => e instanceof LedgerRecordError && /hls-runs key l2: .*expectedChips/.test((e as Error).message));
});

test('terminal chips: the first state wins, repeats are not counted twice, completion is published once', async () => {
  const ledger = await RunLedger.open(bus);
  const { published, publish } = collect();
  assert.equal(await ledger.completeRunWhenDone('l3', 'x', publish), 'pending', 'no expected count yet');
  await ledger.recordExpectedChips('l3', { expectedChips: 2 });
  assert.equal(await ledger.recordChipTerminal('l3', 'chip_1_1', { state: 'accepted' }), 'new');
  assert.equal(await ledger.recordChipTerminal('l3', 'chip_1_1', { state: 'accepted' }), 'same');
  assert.equal(await ledger.recordChipTerminal('l3', 'chip_1_1', { state: 'failed', reason: 'late' }), 'conflict');
  assert.equal(await ledger.completeRunWhenDone('l3', 'chip_1_1', publish), 'pending');
  assert.equal(await ledger.recordChipTerminal('l3', 'chip_1_2', { state: 'rejected', reason: 'qa' }), 'new');
  assert.deepEqual(await ledger.counts('l3'), { accepted: 1, rejected: 1, failed: 0 });
  const outcomes = await Promise.all(['chip_1_2', 'other', 'third'].map((by) => ledger.completeRunWhenDone('l3', by, publish)));
  assert.deepEqual(outcomes.sort(), ['completed', 'other', 'other']);
  assert.deepEqual(published, [{ runId: 'l3', expected: 2, counts: { accepted: 1, rejected: 1, failed: 0 } }]);
  assert.deepEqual(await ledger.chipIds('l3', 'accepted'), ['chip_1_1']);
});

test('completion checks read one counts record until it says done; a count lost in a crash is made by the redelivery', async () => {
  const opened = await RunLedger.open(bus);
  // The chips bucket, counting the chip records read (a real store; only the count is added).
  let gets = 0;
  const chips: KvStore = { ...opened.stores.chips, get: (key) => ((gets += key.endsWith('.counts') ? 0 : 1), opened.stores.chips.get(key)) };
  const ledger = new RunLedger({ ...opened.stores, chips });
  const { published, publish } = collect();
  const n = 150;
  await ledger.recordExpectedChips('l6', { expectedChips: n });
  const ids = Array.from({ length: n }, (_, i) => `chip_6_${String(i).padStart(3, '0')}`);
  // The first chip's record is written, but the crash came before its count.
  await chips.create(`l6.${ids[0]}`, { state: 'accepted', at: 'then', counted: false });
  gets = 0;
  for (const id of ids.slice(1)) {
    assert.equal(await ledger.recordChipTerminal('l6', id, { state: id.endsWith('7') ? 'rejected' : 'accepted', reason: 'qa' }), 'new');
    assert.equal(await ledger.completeRunWhenDone('l6', id, publish), 'pending');
  }
  assert.equal(gets, 0, 'no chip record was read while the counts said not done');
  assert.deepEqual(await ledger.runningCounts('l6'), { accepted: 134, rejected: 15, failed: 0 });
  // The redelivery of the first chip's event finds its record uncounted and counts it; a second one does not.
  assert.equal(await ledger.recordChipTerminal('l6', ids[0]!, { state: 'accepted' }), 'same');
  assert.equal(await ledger.recordChipTerminal('l6', ids[0]!, { state: 'accepted' }), 'same');
  assert.deepEqual(await ledger.runningCounts('l6'), { accepted: 135, rejected: 15, failed: 0 });
  assert.equal(await ledger.completeRunWhenDone('l6', ids[0]!, publish), 'completed');
  assert.deepEqual(published, [{ runId: 'l6', expected: n, counts: { accepted: 135, rejected: 15, failed: 0 } }]);
  // More records than one read window, all of them, in key order.
  assert.deepEqual([...(await ledger.chips('l6')).keys()], ids);
});

test('running counts that say done too early (a chip counted twice after a crash) are checked against the records', async () => {
  const ledger = await RunLedger.open(bus);
  const { published, publish } = collect();
  await ledger.recordExpectedChips('l7', { expectedChips: 2 });
  // Counted, but the crash came before its record said so: the redelivery counts it again.
  await ledger.stores.chips.create('l7.chip_7_1', { state: 'accepted', at: 'then', counted: false });
  await ledger.stores.chips.put('l7.counts', { accepted: 1, rejected: 0, failed: 0 });
  assert.equal(await ledger.recordChipTerminal('l7', 'chip_7_1', { state: 'accepted' }), 'same');
  assert.deepEqual(await ledger.runningCounts('l7'), { accepted: 2, rejected: 0, failed: 0 });
  assert.equal(await ledger.completeRunWhenDone('l7', 'chip_7_1', publish), 'pending');
  assert.deepEqual(published, []);
  // A record from before records said whether they were counted is taken as counted.
  await ledger.stores.chips.create('l7.chip_7_2', { state: 'rejected', reason: 'qa', at: 'then' });
  assert.equal(await ledger.recordChipTerminal('l7', 'chip_7_2', { state: 'rejected', reason: 'qa' }), 'same');
  assert.deepEqual(await ledger.runningCounts('l7'), { accepted: 2, rejected: 0, failed: 0 });
  assert.equal(await ledger.completeRunWhenDone('l7', 'chip_7_2', publish), 'completed');
  assert.deepEqual(published, [{ runId: 'l7', expected: 2, counts: { accepted: 1, rejected: 1, failed: 0 } }]);
});

test('a run of 0 chips completes at once', async () => {
  const ledger = await RunLedger.open(bus);
  const { published, publish } = collect();
  await ledger.recordExpectedChips('l4', { expectedChips: 0 });
  assert.equal(await ledger.completeRunWhenDone('l4', 'chip-index', publish), 'completed');
  assert.deepEqual(published, [{ runId: 'l4', expected: 0, counts: { accepted: 0, rejected: 0, failed: 0 } }]);
});

test('the 21st band of a tile is announced exactly once among racing replicas', async () => {
  const ledger = await RunLedger.open(bus);
  const granuleIds = ['HLS.S30.T15TVG.2022152T170851.v2.0', 'HLS.S30.T15TVG.2022182T170851.v2.0', 'HLS.S30.T15TVG.2022222T170851.v2.0'];
  await ledger.observe(SUBJECTS.sceneSelected, { runId: 'l5', tileId: '15TVG', chipIds: ['chip_1_1'], granuleIds });
  const bands = ['B02', 'B03', 'B04', 'B8A', 'B11', 'B12', 'Fmask'];
  const all = granuleIds.flatMap((g) => bands.map((b) => [g, b] as const));
  const results = await Promise.all(all.map(([g, b]) => ledger.addReprojectedBand('l5', '15TVG', g, b)));
  assert.equal(results.filter((r) => r.mustPublish).length, 1);
  await ledger.markTileReadyPublished('l5', '15TVG');
  assert.equal((await ledger.addReprojectedBand('l5', '15TVG', granuleIds[0]!, 'B02')).mustPublish, false, 'a redelivered band after the publish');
});
