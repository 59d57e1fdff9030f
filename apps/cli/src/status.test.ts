// hls-chips status reads a run from the run ledger: complete only once the dataset step recorded the run
// finished (with the reason when the dataset holds no chip), rejected and failed tiles as such, and
// against a server without the ledger's buckets it says so and creates nothing.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { Bus } from '@hls/bus';
import { ConfigSchema, NatsConfigSchema, SUBJECTS, makeEvent } from '@hls/contracts';
import { RunLedger, runStatus } from '@hls/ledger';
import { createLogger } from '@hls/telemetry';
import { spawnNatsServer, startNats, tempDir, type NatsHandle } from '@hls/testing';
import { unreadRunInputs } from '@hls/runtime/testing';
import { startWebApp } from '@hls/web';
import { statusLines } from './status.ts';

const run = promisify(execFile);
const MAIN = join(import.meta.dirname, 'main.ts');
const tmp = tempDir('hls-status-');
let nats: NatsHandle;
let bus: Bus;
before(async () => {
  nats = await startNats();
  bus = await Bus.connect({ nats: ConfigSchema.parse({ nats: { url: nats.url } }).nats, name: 'status-test', log: createLogger({ name: 'test', level: 'silent', pretty: false }) });
});
after(async () => {
  await bus?.close();
  await nats?.stop();
  tmp.cleanup();
});

test('status against a server with no ledger says so in one line and creates no bucket', async () => {
  const cfg = join(tmp.dir, 'status.yaml');
  writeFileSync(cfg, `nats:\n  url: ${nats.url}\n`);
  const r = await run(process.execPath, [MAIN, 'status', 'some-run', '--config', cfg]).then(
    () => assert.fail('status must fail'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(r.code, 1);
  assert.match(r.stderr.trim(), /^hls-chips: status some-run: nats:\/\/127\.0\.0\.1:\d+ holds no run ledger: no run has been submitted to it \(nothing was created\)$/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  const names: string[] = [];
  for await (const s of bus.jsm.streams.list()) names.push(s.config.name);
  assert.deepEqual(names, [], 'no stream or KV bucket was created');
});

test('status: every chip terminal is not yet complete; rejected and failed tiles show as such; an empty dataset says why', async () => {
  const ledger = await RunLedger.open(bus);
  const config = ConfigSchema.parse({ data_dir: tmp.dir });
  await ledger.recordRunRequested(makeEvent(SUBJECTS.runRequested, { runId: 'st1', requestedAt: 'now', config, inputs: unreadRunInputs('st1') }));
  await ledger.recordExpectedChips('st1', { expectedChips: 3 });
  await ledger.observe(SUBJECTS.tileRequested, { runId: 'st1', tileId: '15TVG', chipIds: ['chip_a', 'chip_b'] });
  await ledger.observe(SUBJECTS.tileSearched, { runId: 'st1', tileId: '15TVG', chipIds: ['chip_a', 'chip_b'] });
  await ledger.observe(SUBJECTS.tileRejected, { runId: 'st1', tileId: '15TVG', chipIds: ['chip_a', 'chip_b'], reason: 'no-scenes', detail: 'tile 15TVG: 2 candidates' });
  await ledger.observe(SUBJECTS.tileRequested, { runId: 'st1', tileId: '14TPL', chipIds: ['chip_c'] });
  await ledger.observe(SUBJECTS.tileFailed, { runId: 'st1', tileId: '14TPL', chipIds: ['chip_c'], reason: 'dlq:ipfs-fetcher', detail: 'no provider' });
  // A late event of a rejected tile does not bring it back.
  await ledger.observe(SUBJECTS.tileSearched, { runId: 'st1', tileId: '14TPL', chipIds: ['chip_c'] });
  for (const c of ['chip_a', 'chip_b']) await ledger.recordChipTerminal('st1', c, { state: 'rejected', reason: 'no-scenes: tile 15TVG' });
  await ledger.recordChipTerminal('st1', 'chip_c', { state: 'failed', reason: 'dlq:ipfs-fetcher' });
  const before = await runStatus(ledger, 'st1');
  assert.deepEqual([before.expectedChips, before.terminal, before.complete, before.reasons], [3, 3, false, { 'rejected: no-scenes': 2, 'failed: dlq': 1 }]);
  assert.deepEqual(before.tiles, { rejected: 1, failed: 1 });
  const lines = statusLines(before);
  assert.ok(lines.includes('  tiles: rejected 1, failed 1'), lines.join('\n'));
  assert.ok(lines.includes('  tile 15TVG rejected: no-scenes (tile 15TVG: 2 candidates)'), lines.join('\n'));
  assert.ok(lines.includes('  tile 14TPL failed: dlq:ipfs-fetcher (no provider)'), lines.join('\n'));
  await ledger.recordRunFinished('st1', { counts: { accepted: 0, rejected: 2, failed: 1 }, train: 0, val: 0, files: ['train_ids.csv'], empty: 'no chip was accepted' });
  const done = await runStatus(ledger, 'st1');
  assert.equal(done.complete, true);
  assert.equal(done.empty, 'no chip was accepted');
  assert.deepEqual(await ledger.runIds(), ['st1']);
});

test('status and web against a fresh nats-server say there is nothing yet and create no stream or bucket', { timeout: 120_000 }, async () => {
  const fresh = await spawnNatsServer();
  const main = join(import.meta.dirname, 'main.ts');
  const env = { ...process.env, NATS_URL: fresh.url };
  const out = tempDir('hls-status-web-');
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
    assert.equal(list.stdout, `no runs: ${fresh.url} holds no run ledger: no run has been submitted to it (nothing was created)\n`);
    const one = spawnSync(process.execPath, [main, 'status', 'run-x'], { encoding: 'utf8', env });
    assert.equal(one.status, 1);
    assert.equal(one.stderr, `hls-chips: status run-x: ${fresh.url} holds no run ledger: no run has been submitted to it (nothing was created)\n`);
    const said: string[] = [];
    const web = await startWebApp({ outDir: out.dir, nats: NatsConfigSchema.parse({ url: fresh.url }), log: (l) => said.push(l) });
    await web.close();
    assert.deepEqual(said, ['no stream HLS on this NATS server yet (no run submitted; nothing created): runs show once one is']);
    // Nothing was created: no event stream, no KV bucket, no object store.
    assert.deepEqual(await names(), []);
  } finally {
    await fresh.stop();
    out.cleanup();
  }
});
