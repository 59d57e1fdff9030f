// processing: chips (the default) against processing: tiles on the small demo world, in this process:
// the same chips in the same terminal states, and every clipped file byte-identical; the chips mode's
// reprojected bands are sparse files holding only the chips' windows.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DATASET_DIRS, SERVICES } from '@hls/contracts';
import { formatSummary, runDemo } from '@hls/pipeline';
import { CHIP_WINDOWS_ITEM, readRasterInfo } from '@hls/raster';
import { createServices } from '../registry.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-processing-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function hashes(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
}

test('processing chips and tiles: the same chips, byte for byte', { timeout: 600_000 }, async () => {
  const run = (processing: 'chips' | 'tiles') =>
    runDemo({ dataDir: join(tmp, processing), small: true, processing, services: createServices(SERVICES), timeoutMs: 300_000 });
  const tiles = await run('tiles');
  assert.equal(tiles.complete, true, formatSummary(tiles));
  const chips = await run('chips');
  assert.equal(chips.complete, true, formatSummary(chips));
  assert.deepEqual([chips.accepted, chips.rejected, chips.failed, chips.reasons], [tiles.accepted, tiles.rejected, tiles.failed, tiles.reasons]);
  assert.ok(chips.accepted > 0);
  for (const d of [DATASET_DIRS.chips, DATASET_DIRS.fmask, DATASET_DIRS.filtered]) {
    const a = hashes(join(chips.datasetDir, d));
    assert.ok(Object.keys(a).length > 0, d);
    assert.deepEqual(a, hashes(join(tiles.datasetDir, d)), `${d}/ differs between the modes`);
  }
  // The chips mode's reprojected bands say which chip windows they hold; the tiles mode's hold whole tiles.
  const band = readdirSync(join(chips.datasetDir, DATASET_DIRS.reprojected)).find((f) => f.endsWith('.B04.tif'))!;
  assert.ok((await readRasterInfo(join(chips.datasetDir, DATASET_DIRS.reprojected, band))).metadata[CHIP_WINDOWS_ITEM]);
  assert.equal((await readRasterInfo(join(tiles.datasetDir, DATASET_DIRS.reprojected, band))).metadata[CHIP_WINDOWS_ITEM], undefined);
});
