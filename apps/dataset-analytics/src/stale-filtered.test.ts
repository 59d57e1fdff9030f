// Issue 15, item 10: a stale corrupt file in chips_filtered/ is redone by the dataset step instead of
// failing it (a dead letter that left the run hanging).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REAL_FIXTURES } from '@hls/common';
import { DATASET_DIRS } from '@hls/contracts';
import { clipChip, filterChip, loadReclassTable } from '@hls/chips';
import { writeSyntheticTile } from '@hls/chips/testing';
import { readRasterWindow } from '@hls/raster';
import { realServiceContext, type RealServiceContext } from '@hls/runtime/testing';
import { startNats, type NatsHandle } from '@hls/testing';
import { publishDataset } from './handler.ts';

describe('dataset-analytics with a stale corrupt file in chips_filtered/', () => {
  let root = '';
  let nats: NatsHandle;
  let real: RealServiceContext;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'dataset-stale-'));
    nats = await startNats();
    real = await realServiceContext({ nats, service: 'dataset-analytics', run: { runId: 'run-stale', config: { data_dir: root } } });
  });
  after(async () => {
    await real?.close();
    await nats?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('copies the corrupt file again from chips/ and builds the dataset', async () => {
    const dir = await real.ctx.datasetDir('run-stale');
    const tile = await writeSyntheticTile(dir, { col0: 224 * 3000, row0: 224 * 1000, width: 300, height: 300 });
    const reclass = await loadReclassTable(`${REAL_FIXTURES}/chips/cdl_total_dst.csv`);
    const ids = ['chip_a', 'chip_b', 'chip_c'];
    for (const [i, chipId] of ids.entries()) {
      const r = await clipChip({ chipId, bbox5070: tile.box(30 * i, 30 * i), scenes: tile.granules.map((g, k) => ({ granuleId: g, date: tile.dates[k]! })) }, { datasetDir: dir, cdlSource: tile.cdl, reclass });
      assert.ok(r.ok);
      assert.ok((await filterChip(dir, { chipId, tileId: '15TVG', qa: r.qa, scenes: r.scenes })).decision.accepted);
      await real.ctx.ledger.recordChipTerminal('run-stale', chipId, { state: 'accepted', at: '2026-01-01T00:00:00Z' });
    }
    // Left corrupt in place by an earlier run: same size, flipped bytes; its chip is not re-decided now.
    const stale = join(dir, DATASET_DIRS.filtered, 'chip_b_merged.tif');
    const good = readFileSync(stale);
    const bad = Buffer.from(good);
    for (let i = bad.length >> 1; i < (bad.length >> 1) + 64; i++) bad[i] = bad[i]! ^ 0xff;
    writeFileSync(stale, bad);
    await assert.rejects(readRasterWindow(stale), 'the corrupt copy cannot be decoded');

    const s = await publishDataset('run-stale', real.ctx, { accepted: 3, rejected: 0, failed: 0 });
    assert.equal(s.train + s.val, 3);
    assert.deepEqual(readFileSync(stale), good, 'redone from chips/');
    const published = await real.published();
    assert.deepEqual(published.map((p) => p.subject), ['hls.dataset.built']);
  });
});
