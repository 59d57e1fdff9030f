// The demo's fixtures ship in the repository; when one is missing the demo says which in one line, no stack.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, test } from 'node:test';
import { defaultFixtures, WORLD_FIXTURES } from '@hls/world';

const tmp = mkdtempSync(join(tmpdir(), 'hls-demo-fx-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const main = join(import.meta.dirname, '..', 'main.ts');

test('hls-chips demo with a fixture missing fails in one line naming it', { timeout: 120_000 }, () => {
  const shipped = defaultFixtures();
  const fx = join(tmp, 'fixtures');
  // Everything but the grid.
  for (const f of [shipped.payload, shipped.payload.replace(/\.geojson$/, '_5070.geojson'), shipped.reclassTable]) {
    const to = join(fx, relative(WORLD_FIXTURES, f));
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(f, to);
  }
  const r = spawnSync(process.execPath, [main, 'demo', '--small', '--data-dir', join(tmp, 'data')], {
    env: { ...process.env, HLS_WORLD_FIXTURES_DIR: fx, HLS_DEBUG: '' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
  const missing = defaultFixtures(fx).gridKml;
  assert.equal(r.stderr, `hls-chips: world: fixture ${missing} is missing (HLS_WORLD_FIXTURES_DIR is ${fx}; unset it to use the ones in the repository)\n`);
});
