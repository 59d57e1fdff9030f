// hls-chips status reads a run's end from the run ledger: complete only once the dataset step recorded
// the run finished, with the reason when the dataset holds no chip.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Bus } from '@hls/bus';
import { ConfigSchema, KV_BUCKETS } from '@hls/contracts';
import { recordChipTerminal, recordExpectedChips, recordRunFinished } from '@hls/runtime';
import { createLogger } from '@hls/telemetry';
import { startNats, type NatsHandle } from '@hls/testing';
import { runStatus } from './status.ts';

let nats: NatsHandle;
let bus: Bus;
before(async () => {
  nats = await startNats();
  bus = await Bus.connect({ nats: ConfigSchema.parse({ nats: { url: nats.url } }).nats, name: 'status-test', log: createLogger({ name: 'test', level: 'silent', pretty: false }) });
  await bus.ensureTopology();
});
after(async () => {
  await bus?.close();
  await nats?.stop();
});

test('status: every chip terminal is not yet complete; finished with an empty dataset says why', async () => {
  const [runs, chips] = [await bus.kv(KV_BUCKETS.runs), await bus.kv(KV_BUCKETS.chips)];
  await recordExpectedChips(runs, 'st1', 2);
  for (const c of ['chip_a', 'chip_b']) await recordChipTerminal(chips, 'st1', c, { state: 'rejected', reason: 'no-tile', at: 'now' });
  const before = await runStatus(bus, 'st1');
  assert.deepEqual([before.expectedChips, before.terminal, before.complete, before.reasons], [2, 2, false, { 'rejected: no-tile': 2 }]);
  await recordRunFinished(runs, 'st1', { counts: { accepted: 0, rejected: 2, failed: 0 }, train: 0, val: 0, files: ['train_ids.csv'], empty: 'no chip was accepted' });
  const done = await runStatus(bus, 'st1');
  assert.equal(done.complete, true);
  assert.equal(done.empty, 'no chip was accepted');
});
