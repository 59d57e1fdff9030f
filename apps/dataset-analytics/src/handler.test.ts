import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CDL_GRID, type EventOf } from '@hls/contracts';
import { writeTrackRecord } from '@hls/chips';
import { writeGeoTiff } from '@hls/raster';
import { realServiceContext, type RealServiceContext } from '@hls/runtime/testing';
import { startNats, type NatsHandle } from '@hls/testing';
import { publishDataset } from './handler.ts';

describe('dataset-analytics publishDataset', () => {
  let root = '';
  let dir = '';
  let nats: NatsHandle;
  let real: RealServiceContext;
  const chips = ['chip_001_001', 'chip_001_002', 'chip_001_003', 'chip_002_001', 'chip_002_002'];
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'dataset-'));
    nats = await startNats();
    real = await realServiceContext({ nats, service: 'dataset-analytics', run: { runId: 'run1', config: { data_dir: root, split: { seed: 7, train_fraction: 0.6 } } } });
    dir = await real.ctx.datasetDir('run1');
    const n = 16;
    for (const [k, c] of chips.entries()) {
      const gt: [number, number, number, number, number, number] = [CDL_GRID.x0 + k * 6720, 30, 0, CDL_GRID.y0, 0, -30];
      const bands = Array.from({ length: 18 }, (_, b) => Int16Array.from({ length: n * n }, (_, i) => (b * 13 + i * 7 + k) % 3000));
      await writeGeoTiff(join(dir, 'chips_filtered', `${c}_merged.tif`), { width: n, height: n, bands, geoTransform: gt, epsg: 5070 });
      const mask = Uint8Array.from({ length: n * n }, (_, i) => (i + k) % 14);
      await writeGeoTiff(join(dir, 'chips_filtered', `${c}.mask.tif`), { width: n, height: n, bands: [mask], geoTransform: gt, epsg: 5070 });
      await writeTrackRecord(dir, {
        chipId: c,
        tileId: '15TVG',
        validCounts: [1, 1, 1],
        badPercents: [0, 0, 0],
        naCount: 0,
        dates: ['2022-04-01', '2022-06-01', '2022-09-01'],
        granuleIds: ['a', 'b', 'c'],
        decision: 'accepted',
        reason: '',
      });
    }
  });
  after(async () => {
    await real?.close();
    await nats?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('builds every dataset file with the run\'s split settings and publishes hls.dataset.ready once', async () => {
    const s = await publishDataset('run1', real.ctx);
    assert.deepEqual([s.train, s.val], [3, 2]);
    const published = await real.published();
    assert.equal(published.length, 1);
    assert.equal(published[0]!.subject, 'hls.dataset.ready');
    assert.equal(published[0]!.msgId, 'hls.dataset.ready:run1');
    const ev = published[0]!.data as EventOf<'hls.dataset.ready'>;
    assert.equal(ev.datasetDir, dir);
    for (const f of ev.files) assert.ok(existsSync(join(dir, f)), f);
    for (const f of ['track_chips.csv', 'train_ids.csv', 'val_ids.csv', 'training_data.txt', 'validation_data.txt', 'global_stats.txt', 'class_weights.csv', 'band_stats/band_values_6.txt', 'training_dst.png', 'plots/training_dst.csv']) {
      assert.ok(ev.files.includes(f), f);
    }
    assert.equal((await readFile(join(dir, 'track_chips.csv'), 'utf8')).trim().split('\n').length, 1 + chips.length);
  });
});
