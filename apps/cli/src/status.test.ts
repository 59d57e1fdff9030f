// hls-chips status reads a run's end from the run ledger: complete only once the dataset step recorded
// the run finished, with the reason when the dataset holds no chip.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Bus } from '@hls/bus';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigSchema, KV_BUCKETS, NatsConfigSchema } from '@hls/contracts';
import { recordChipTerminal, recordExpectedChips, recordRunFinished } from '@hls/runtime';
import { createLogger } from '@hls/telemetry';
import { spawnNatsServer, startNats, type NatsHandle } from '@hls/testing';
import { startWebApp } from '@hls/web';
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

test('status and web against a fresh nats-server say there is nothing yet and create no stream or bucket', { timeout: 120_000 }, async () => {
  const fresh = await spawnNatsServer();
  const main = join(import.meta.dirname, 'main.ts');
  const env = { ...process.env, NATS_URL: fresh.url };
  const tmp = mkdtempSync(join(tmpdir(), 'hls-status-'));
  const names = async (): Promise<string[]> => {
    const b = await Bus.connect({ nats: ConfigSchema.parse({ nats: { url: fresh.url } }).nats, name: 'status-check', log: createLogger({ name: 'test', level: 'silent', pretty: false }) });
    try {
      const out: string[] = [];
      for await (const s of b.jsm.streams.names()) out.push(s);
      return out;
    } finally {
      await b.close();
    }
  };
  try {
    const list = spawnSync(process.execPath, [main, 'status'], { encoding: 'utf8', env });
    assert.equal(list.status, 0, list.stderr);
    assert.equal(list.stdout, 'no runs: no KV bucket hls-runs on this NATS server: no run has been submitted to it (nothing was created)\n');
    const one = spawnSync(process.execPath, [main, 'status', 'run-x'], { encoding: 'utf8', env });
    assert.equal(one.status, 1);
    assert.equal(one.stderr, 'hls-chips: status run-x: no KV bucket hls-runs on this NATS server: no run has been submitted to it (nothing was created)\n');
    const said: string[] = [];
    const web = await startWebApp({ outDir: tmp, nats: NatsConfigSchema.parse({ url: fresh.url }), log: (l) => said.push(l) });
    await web.close();
    assert.deepEqual(said, ['no stream HLS on this NATS server yet (no run submitted; nothing created): runs show once one is']);
    // Nothing was created: no event stream, no KV bucket, no object store.
    assert.deepEqual(await names(), []);
  } finally {
    await fresh.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
});
