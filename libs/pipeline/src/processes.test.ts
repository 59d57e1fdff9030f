// --processes on the small world: every service in its own process (2 reprojector and 2 chipper
// replicas), one reprojector replica killed -9 mid-run. It is restarted, its unacked work redelivered,
// and the run completes with every chip in exactly one terminal state.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DATASET_DIRS } from '@hls/contracts';
import { formatSummary, runDemo } from './index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-processes-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const apps = join(import.meta.dirname, '..', '..', '..', 'apps');

/** Pids of our reprojector children: their command line names the app and this test's config file. */
function reprojectorPids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(join(apps, 'reprojector', 'src', 'main.ts')) && cmd.includes(tmp)) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

test('--processes: replicas, a killed reprojector restarted, run complete', { timeout: 600_000 }, async () => {
  const reprojected = join(tmp, 'training_datasets', 'demo', DATASET_DIRS.reprojected);
  let killed: number | undefined;
  const watcher = setInterval(() => {
    if (killed !== undefined || !existsSync(reprojected)) return;
    if (readdirSync(reprojected).filter((f) => f.endsWith('.tif')).length < 2) return;
    const pid = reprojectorPids()[0];
    if (pid === undefined) return;
    killed = pid;
    process.kill(pid, 'SIGKILL');
  }, 100);
  try {
    const r = await runDemo({
      dataDir: tmp,
      small: true,
      services: [],
      processes: { argv: (name) => [join(apps, name, 'src', 'main.ts')], replicas: { reprojector: 2, chipper: 2 } },
      ackWaitMs: 10_000,
      timeoutMs: 400_000,
    });
    assert.ok(killed !== undefined, 'a reprojector replica was killed');
    assert.equal(r.complete, true, formatSummary(r));
    assert.ok(r.restarts.some((x) => x.includes('service reprojector') && x.includes(`pid ${killed}`)), JSON.stringify(r.restarts));
    assert.equal(r.accepted + r.rejected + r.failed, r.expected);
    assert.deepEqual(r.conflicts, []);
    assert.equal(r.failed, 0);
    const noScenes = r.world.plan.tiles.find((t) => t.role === 'no-scenes')!;
    assert.equal(r.reasons['rejected: no-scenes'], noScenes.chips.length);
    assert.equal(r.bands.reprojected >= 42, true);
    const filtered = readdirSync(join(r.datasetDir, DATASET_DIRS.filtered)).filter((f) => f.endsWith('_merged.tif'));
    assert.equal(filtered.length, r.accepted);
  } finally {
    clearInterval(watcher);
  }
});

test('--processes: the parent killed -9: its services die with it; restarted, the run resumes and completes', { timeout: 600_000 }, async () => {
  const { spawn, spawnSync } = await import('node:child_process');
  const dir = join(tmp, 'orphans');
  const args = [join(apps, 'cli', 'src', 'main.ts'), 'demo', '--small', '--processes', '--data-dir', dir, '--ack-wait', '10', '--timeout', '400'];
  const parent = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  parent.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const fetched = join(dir, 'training_datasets', 'demo', DATASET_DIRS.tiles);
  const until = Date.now() + 300_000;
  while (!existsSync(fetched)) {
    assert.ok(Date.now() < until && parent.exitCode === null, `the demo did not start fetching: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  parent.kill('SIGKILL');
  await new Promise((r) => parent.once('exit', r));
  const pidFile = join(dir, 'runs', 'demo.children.json');
  const { pids, yamlFile } = JSON.parse(readFileSync(pidFile, 'utf8')) as { pids: number[]; yamlFile: string };
  const running = (): number[] =>
    pids.filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(yamlFile);
      } catch {
        return false;
      }
    });
  // Each child notices its parent is gone and dies with it (no orphan works on against dead servers).
  const gone = Date.now() + 5000;
  while (running().length > 0 && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(running(), [], 'service processes outlived the killed parent');
  try {
    const again = spawnSync(process.execPath, [...args, '--json'], { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /\(resumed\)/);
    const r = JSON.parse(again.stdout) as { complete: boolean; accepted: number; rejected: number; failed: number; expected: number; conflicts: string[] };
    assert.equal(r.complete, true);
    assert.equal(r.accepted + r.rejected + r.failed, r.expected);
    assert.equal(r.failed, 0);
    assert.deepEqual(r.conflicts, []);
  } finally {
    for (const pid of running()) process.kill(pid, 'SIGKILL');
    const rec = join(dir, 'nats', 'server.json');
    if (existsSync(rec)) {
      const { pid } = JSON.parse(readFileSync(rec, 'utf8')) as { pid: number };
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server')) process.kill(pid, 'SIGKILL');
      } catch {
        // already stopped by the run
      }
    }
  }
});
