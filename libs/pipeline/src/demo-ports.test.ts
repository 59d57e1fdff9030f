// The demo resumes an unfinished run only on its servers' old ports (its config points at them). When
// another process holds them, it says which run it cannot resume and why, then starts a new one.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, test } from 'node:test';
import { runDemo } from './demo.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-demo-ports-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const listen = (): Promise<Server> =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
const portOf = (s: Server): number => (s.address() as { port: number }).port;

test('the demo says when it cannot get its old ports back instead of silently abandoning the unfinished run', { timeout: 300_000 }, async () => {
  const [stac, gateway] = [await listen(), await listen()];
  try {
    mkdirSync(join(tmp, 'runs'), { recursive: true });
    writeFileSync(join(tmp, 'runs', 'demo.json'), JSON.stringify({ runId: 'demo-old', done: false }));
    writeFileSync(join(tmp, 'runs', 'demo-servers.json'), JSON.stringify({ stac: portOf(stac), gateway: portOf(gateway) }));
    const progress = new PassThrough();
    let said = '';
    progress.on('data', (d: Buffer) => (said += d.toString()));
    // No services: the new run only has to start, so it ends at the (short) timeout.
    const r = await runDemo({ dataDir: tmp, small: true, services: [], progress, timeoutMs: 2000 });
    const why = `cannot resume the unfinished run demo-old: the ports its config points at are taken by another process (STAC API ${portOf(stac)}, IPFS gateway ${portOf(gateway)}); starting a new run instead`;
    assert.equal(r.abandoned, why);
    assert.ok(said.includes(`demo: ${why}`), said);
    assert.notEqual(r.runId, 'demo-old');
    assert.equal(r.resumed, false);
  } finally {
    stac.close();
    gateway.close();
  }
});
