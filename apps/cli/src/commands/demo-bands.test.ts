// hls-chips demo --bands https: the small world's bands come from the LP DAAC emulator over HTTPS with
// Earthdata Login, instead of IPFS; the same chips come out. In the chips mode (the default) each band is a
// partial copy: every byte range it holds is the world's file's bytes there, and less than the files came.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DATASET_DIRS, SERVICES } from '@hls/contracts';
import { formatSummary, runDemo } from '@hls/pipeline';
import { readPartialCopy } from '@hls/raster';
import { createServices } from '../registry.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-demo-bands-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('demo --bands https: every band over HTTPS from the LP DAAC emulator, byte-identical to the world; the token is put back', { timeout: 600_000 }, async () => {
  const before = process.env.EARTHDATA_TOKEN;
  const r = await runDemo({ dataDir: tmp, small: true, bands: 'https', services: createServices(SERVICES), timeoutMs: 300_000 });
  assert.equal(r.complete, true, formatSummary(r));
  assert.equal(r.failed, 0);
  assert.ok(r.accepted > 0);
  assert.deepEqual(r.bands.bySource, { https: r.bands.fetched });
  assert.match(formatSummary(r), /served by: https \d+/);
  const tiles = join(r.datasetDir, DATASET_DIRS.tiles);
  let whole = 0;
  for (const g of readdirSync(tiles)) {
    for (const f of readdirSync(join(tiles, g)).filter((n) => n.endsWith('.tif'))) {
      const held = await readPartialCopy(join(tiles, g, f));
      assert.ok(held, `${f} is a partial copy`);
      const copy = readFileSync(join(tiles, g, f));
      const original = readFileSync(join(r.world.granuleDir, g, f));
      assert.equal(copy.length, original.length, f);
      whole += original.length;
      for (const [offset, length] of held.ranges) assert.ok(copy.subarray(offset, offset + length).equals(original.subarray(offset, offset + length)), `${f}: bytes ${offset}+${length} differ`);
    }
  }
  assert.ok(r.bands.mbFetched * 1e6 < whole, `${r.bands.mbFetched} MB fetched of ${whole} bytes of files`);
  assert.equal(process.env.EARTHDATA_TOKEN, before);
});
