import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CDL_GRID, makeEvent, type EventOf } from '@hls/contracts';
import { writeTrackRecord } from '@hls/chips';
import { writeGeoTiff } from '@hls/raster';
import { realServiceContext, type RealServiceContext } from '@hls/runtime/testing';
import { startNats, type NatsHandle } from '@hls/testing';
import { publishDataset } from './handler.ts';
import { createDatasetAnalyticsHandlers } from './index.ts';

const n = 16;

/** An accepted chip's files in chips_filtered/ and its track record, as the qa-filter leaves them. */
async function acceptedChip(dir: string, c: string, k: number): Promise<void> {
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
    for (const [k, c] of chips.entries()) {
      await acceptedChip(dir, c, k);
      await real.ctx.ledger.recordChipTerminal('run1', c, { state: 'accepted', at: '2026-01-01T00:00:00Z' });
    }
    // An earlier run's accepted chip in the same dataset dir: not this run's, so in none of its files.
    await acceptedChip(dir, 'chip_009_009', 9);
  });
  after(async () => {
    await real?.close();
    await nats?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('builds every dataset file from the run\'s own chips with its split settings, publishes hls.dataset.built once, records the run finished', async () => {
    const s = await publishDataset('run1', real.ctx, { accepted: 5, rejected: 0, failed: 0 });
    assert.deepEqual([s.train, s.val], [3, 2]);
    const published = await real.published();
    assert.equal(published.length, 1);
    assert.equal(published[0]!.subject, 'hls.dataset.built');
    assert.equal(published[0]!.msgId, 'hls.dataset.built:run1');
    const ev = published[0]!.data as EventOf<'hls.dataset.built'>;
    assert.equal(ev.datasetDir, dir);
    for (const f of ev.files) assert.ok(existsSync(join(dir, f)), f);
    for (const f of ['track_chips.csv', 'train_ids.csv', 'val_ids.csv', 'training_data.txt', 'validation_data.txt', 'global_stats.txt', 'class_weights.csv', 'band_stats/band_values_6.txt', 'training_dst.png', 'plots/training_dst.csv']) {
      assert.ok(ev.files.includes(f), f);
    }
    const track = await readFile(join(dir, 'track_chips.csv'), 'utf8');
    assert.equal(track.trim().split('\n').length, 1 + chips.length);
    const split = [...(await readFile(join(dir, 'training_data.txt'), 'utf8')).trim().split('\n'), ...(await readFile(join(dir, 'validation_data.txt'), 'utf8')).trim().split('\n')];
    assert.deepEqual(split.sort(), chips);
    for (const f of ['track_chips.csv', 'plots/training_dst.csv', 'plots/validation_dst.csv']) assert.doesNotMatch(await readFile(join(dir, f), 'utf8'), /009_009/, f);
    const end = await real.ctx.ledger.runEnd('run1');
    assert.deepEqual([end.finished?.train, end.finished?.val, end.finished?.counts.accepted, end.finished?.empty], [3, 2, 5, undefined]);
    // hls.run.completed again (redelivered): the finished run is not rebuilt or announced twice.
    const onCompleted = createDatasetAnalyticsHandlers()['hls.run.completed']!;
    await onCompleted(makeEvent('hls.run.completed', { runId: 'run1', expected: 5, counts: { accepted: 5, rejected: 0, failed: 0 } }), real.ctx);
    assert.equal((await real.published()).length, 1);
  });

  it('a run that accepted no chip: empty split files, no chips_filtered/ needed, nothing left from an earlier run, finished with the reason', async () => {
    const other = await realServiceContext({ nats, service: 'dataset-analytics', run: { runId: 'run0', config: { data_dir: join(root, 'zero') } } });
    try {
      const d = await other.ctx.datasetDir('run0');
      // Left by an earlier run on this dataset dir: computed from chips this run does not have.
      await mkdir(join(d, 'plots'), { recursive: true });
      await writeFile(join(d, 'global_stats.txt'), 'stale');
      await writeFile(join(d, 'class_weights.csv'), 'stale');
      await writeFile(join(d, 'plots', 'training_dst.png'), 'stale');
      await other.ctx.ledger.recordChipTerminal('run0', 'chip_1', { state: 'rejected', reason: 'no-tile', at: '2026-01-01T00:00:00Z' });
      const s = await publishDataset('run0', other.ctx, { accepted: 0, rejected: 1, failed: 0 });
      assert.deepEqual([s.train, s.val], [0, 0]);
      assert.match(s.empty ?? '', /no chip was accepted/);
      assert.equal(existsSync(join(d, 'chips_filtered')), false);
      assert.equal(await readFile(join(d, 'train_ids.csv'), 'utf8'), 'ids\n');
      assert.equal(await readFile(join(d, 'val_ids.csv'), 'utf8'), 'ids\n');
      assert.equal(await readFile(join(d, 'training_data.txt'), 'utf8'), '');
      for (const f of ['global_stats.txt', 'class_weights.csv', 'plots']) assert.equal(existsSync(join(d, f)), false, f);
      const ev = (await other.published()).find((p) => p.subject === 'hls.dataset.built')?.data as EventOf<'hls.dataset.built'>;
      // The dataset card says why it is empty: the run's one chip, rejected with its reason (from the ledger).
      assert.deepEqual(ev.files.sort(), ['README.md', 'train_ids.csv', 'training_data.txt', 'val_ids.csv', 'validation_data.txt']);
      assert.match(await readFile(join(d, 'README.md'), 'utf8'), /\| rejected \| no-tile \| 1 \|/);
      assert.equal(existsSync(join(d, 'stac')), false);
      const end = await other.ctx.ledger.runEnd('run0');
      assert.match(end.finished?.empty ?? '', /no chip was accepted/);
      assert.deepEqual(end.finished?.counts, { accepted: 0, rejected: 1, failed: 0 });
    } finally {
      await other.close();
    }
  });
});
