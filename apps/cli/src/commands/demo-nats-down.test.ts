// Issue 15 item 5: the private nats-server killed (-9) in the middle of an in-process run. The run notices,
// says so in one line, starts the server again on the same store and port, and completes with every chip
// in one terminal state; no uncaught error, no hang.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { SERVICES } from '@hls/contracts';
import { formatSummary, runDemo } from '@hls/pipeline';
import { createServices } from '../registry.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-nats-down-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('the private nats-server killed mid-run is started again on the same store; the run completes', { timeout: 600_000 }, async () => {
  const progress = new PassThrough();
  let said = '';
  let killed: number | undefined;
  const record = join(tmp, 'nats', 'server.json');
  progress.on('data', (d: Buffer) => {
    said += d.toString();
    // Once the run is submitted (its services are consuming), kill the server under it.
    if (killed === undefined && /^run demo-/m.test(said) && existsSync(record)) {
      killed = (JSON.parse(readFileSync(record, 'utf8')) as { pid: number }).pid;
      process.kill(killed, 'SIGKILL');
    }
  });
  const r = await runDemo({ dataDir: tmp, small: true, services: createServices(SERVICES), progress, timeoutMs: 480_000 });
  assert.ok(killed !== undefined, 'the server was killed during the run');
  assert.match(said, new RegExp(`^nats: the private nats-server \\(pid ${killed}\\) stopped; starting it again on the same store and port \\d+$`, 'm'));
  assert.match(said, /^nats: restarted \(pid \d+\); the run goes on$/m);
  assert.equal(r.complete, true, formatSummary(r));
  const planned = r.world.plan.tiles.flatMap((t) => t.chips.map((c) => c.id));
  assert.equal(r.accepted + r.rejected + r.failed, planned.length);
  assert.deepEqual(r.conflicts, []);
  assert.ok(r.restarts.some((x) => x.startsWith(`the private nats-server (pid ${killed}) stopped`)), JSON.stringify(r.restarts));
  assert.match(formatSummary(r), /restarted: the private nats-server/);
});
