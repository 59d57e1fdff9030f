// The local stack over the small world: real servers on 127.0.0.1, the same ports again at the next start
// (an unfinished run's config still points at them), and the environment put back on close.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bandSourcesOf } from '@hls/contracts';
import { ensureWorld, SMALL_WORLD, type World } from '@hls/world';
import { serverPortsFile, startLocalStack } from './servers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-local-stack-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let world: World;
before(async () => {
  world = await ensureWorld({ dataDir: join(tmp, 'src'), options: SMALL_WORLD });
});

describe('startLocalStack', () => {
  test('serves the world and takes its ports again at the next start', { timeout: 120_000 }, async () => {
    const dataDir = join(tmp, 'again');
    const first = await startLocalStack({ dataDir, world });
    let ports: { stac: number; gateway: number };
    try {
      assert.equal(first.resumable, false);
      assert.equal(first.notResumable, undefined, 'no earlier start: nothing to resume');
      const catalog = await fetch(`${first.stacUrl}/stac/LPCLOUD`);
      assert.equal(catalog.status, 200);
      assert.equal(first.config.stac.type === 'api' && first.config.stac.url, `${first.stacUrl}/stac/LPCLOUD`);
      assert.deepEqual(bandSourcesOf(first.config), ['ipfs']);
      ports = JSON.parse(readFileSync(serverPortsFile(dataDir), 'utf8')) as typeof ports;
      assert.equal(new URL(first.gatewayUrl).port, String(ports.gateway));
    } finally {
      await first.close();
    }
    const second = await startLocalStack({ dataDir, world });
    try {
      assert.equal(second.resumable, true);
      assert.equal(second.stacUrl, first.stacUrl);
      assert.equal(second.gatewayUrl, first.gatewayUrl);
    } finally {
      await second.close();
    }
  });

  test('https bands: the LP DAAC emulator, a token for the start, the old token back on close', { timeout: 120_000 }, async () => {
    const before = process.env.EARTHDATA_TOKEN;
    process.env.EARTHDATA_TOKEN = 'the-users-token';
    const dataDir = join(tmp, 'https');
    await (await startLocalStack({ dataDir, world })).close();
    const s = await startLocalStack({ dataDir, world, bands: 'https' });
    try {
      assert.notEqual(process.env.EARTHDATA_TOKEN, 'the-users-token');
      assert.deepEqual(s.config.band_sources, ['https']);
      assert.equal(s.resumable, false);
      assert.equal(s.notResumable, 'the LP DAAC emulator gets new ports at every start');
    } finally {
      await s.close();
      assert.equal(process.env.EARTHDATA_TOKEN, 'the-users-token');
      if (before === undefined) delete process.env.EARTHDATA_TOKEN;
      else process.env.EARTHDATA_TOKEN = before;
    }
  });
});
