// kill -9 the demo half way (one process) at two points, restart it: the run resumes on the surviving nats-server
// and the final outputs are byte-identical to an uninterrupted run's, every chip terminal once.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DATASET_DIRS, DATASET_FILES, SERVICES } from '@hls/contracts';
import { formatSummary, runDemo } from '@hls/pipeline';
import { createServices } from '../registry.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-demo-crash-'));
const main = join(import.meta.dirname, '..', 'main.ts');
const crashed = join(tmp, 'crashed');

after(() => {
  // The detached nats-server the killed demo left, if the restart did not get to stop it.
  const rec = join(crashed, 'nats', 'server.json');
  if (existsSync(rec)) {
    const { pid } = JSON.parse(readFileSync(rec, 'utf8')) as { pid: number };
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server')) process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

/** SIGKILL `child` as soon as `ready()` holds (the child must still be running then). */
async function killWhen(child: ChildProcess, ready: () => boolean, log: () => string): Promise<void> {
  const until = Date.now() + 240_000;
  while (!ready()) {
    assert.ok(Date.now() < until, `demo did not get there in time: ${log()}`);
    assert.equal(child.exitCode, null, `demo ended before it could be killed: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(child.exitCode, null, `demo finished before it could be killed: ${log()}`);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of [DATASET_DIRS.chips, DATASET_DIRS.fmask, DATASET_DIRS.filtered]) {
    for (const f of readdirSync(join(dir, d)).sort()) out[`${d}/${f}`] = createHash('sha256').update(readFileSync(join(dir, d, f))).digest('hex');
  }
  for (const f of [DATASET_FILES.trackChips, DATASET_FILES.trainIds, DATASET_FILES.valIds, DATASET_FILES.globalStats, DATASET_FILES.classWeights, DATASET_FILES.selectedTiles, DATASET_FILES.tilePayloads])
    // selected_tiles.csv links to the local STAC server, whose port differs between the two data dirs.
    out[f] = createHash('sha256').update(readFileSync(join(dir, f), 'utf8').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')).digest('hex');
  return out;
}

test('kill -9 mid-run twice (warping, then clipping) and restart: identical outputs, one terminal state per chip', { timeout: 600_000 }, async () => {
  const ref = await runDemo({ dataDir: join(tmp, 'ref'), small: true, services: createServices(SERVICES), timeoutMs: 300_000 });
  assert.equal(ref.complete, true, formatSummary(ref));

  const args = [main, 'demo', '--small', '--data-dir', crashed, '--ack-wait', '10', '--timeout', '300'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const dataset = join(crashed, 'training_datasets', 'demo');
  const count = (d: string, suffix: string): number => (existsSync(join(dataset, d)) ? readdirSync(join(dataset, d)).filter((f) => f.endsWith(suffix)).length : 0);
  // Kill once some bands are warped (before the chips are clipped)...
  await killWhen(child, () => count(DATASET_DIRS.reprojected, '.tif') >= 6, () => err);
  // ...restart, and kill the resumed run again once it is clipping chips.
  const second = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  second.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await killWhen(second, () => count(DATASET_DIRS.chips, '_merged.tif') >= 2, () => err);

  const again = spawnSync(process.execPath, [...args, '--json'], { encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /reused the server of an interrupted run/);
  assert.match(again.stderr, /\(resumed\)/);
  const r = JSON.parse(again.stdout) as { complete: boolean; accepted: number; rejected: number; failed: number; reasons: Record<string, number>; conflicts: string[]; expected: number };
  assert.equal(r.complete, true);
  assert.deepEqual(r.conflicts, []);
  assert.equal(r.accepted + r.rejected + r.failed, r.expected);
  assert.deepEqual([r.accepted, r.rejected, r.failed, r.reasons], [ref.accepted, ref.rejected, ref.failed, ref.reasons]);
  assert.deepEqual(digest(join(crashed, 'training_datasets', 'demo')), digest(ref.datasetDir));
});
