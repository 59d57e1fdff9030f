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
