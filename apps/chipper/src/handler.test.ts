import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { datasetDir, parseEvent, SUBJECTS, type EventOf } from '@hls/contracts';
import { writeSyntheticTile, type SyntheticTile } from '@hls/chips/testing';
import { readRasterWindow } from '@hls/raster';
import { PermanentError } from '@hls/runtime';
import { realServiceContext, type RealServiceContext } from '@hls/runtime/testing';
import { startNats, type NatsHandle } from '@hls/testing';
import { chipClipHandler, chipperCaches, handleTileReady } from './handler.ts';
import { REAL_FIXTURES } from '@hls/common';

const FIXTURES = `${REAL_FIXTURES}/chips`;
const PAYLOAD = join(FIXTURES, 'midwest_crops_chip_payload.geojson');

describe('chipper handlers on the real chip_085_328 box', () => {
  const handleChipClip = chipClipHandler(chipperCaches());
  let root = '';
  let dir = '';
  let tile: SyntheticTile;
  let nats: NatsHandle;
  // One context per test: each reads back only what it published.
  let real: RealServiceContext;
  const context = async (): Promise<RealServiceContext> => {
    await real?.close();
    real = await realServiceContext({
      nats,
      service: 'chipper',
      run: { runId: 'run1', chipPayload: PAYLOAD, config: { data_dir: root, train_dataset_name: 'ds', cdl: { source: join(dir, 'cdl.tif'), reclass_table: join(FIXTURES, 'cdl_total_dst.csv') } } },
    });
    return real;
  };
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'chipper-'));
    nats = await startNats();
    dir = datasetDir(root, 'ds');
    assert.equal(await (await context()).ctx.datasetDir('run1'), dir);
    // chip_085_328: CDL grid row 85 * 224, col 328 * 224. A 250 px raster starting 10 px before it.
    tile = await writeSyntheticTile(dir, { col0: 328 * 224 - 10, row0: 85 * 224 - 10, width: 250, height: 250 });
    assert.equal(tile.cdl, join(dir, 'cdl.tif'), 'the run config names the CDL the synthetic tile writes');
  });
  after(async () => {
    await real?.close();
    await nats?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('fans a ready tile out into one chip job per chip with deterministic ids', async () => {
    const { ctx, published } = await context();
    const scenes = tile.granules.map((g, i) => ({ granuleId: g, date: tile.dates[i]! }));
    const ev = parseEvent(SUBJECTS.tileReady, { schemaVersion: 1, runId: 'run1', tileId: '15TVG', chipIds: ['chip_085_328', 'chip_085_329'], scenes });
    await handleTileReady(ev, ctx);
    assert.deepEqual((await published()).map((p) => [p.subject, p.msgId]), [
      ['hls.chip.clip', 'hls.chip.clip:run1:chip_085_328'],
      ['hls.chip.clip', 'hls.chip.clip:run1:chip_085_329'],
    ]);
  });

  it('clips a chip job and publishes the QA figures; the same job again gives the same event and id', async () => {
    const { ctx, published, acks } = await context();
    const scenes = [2, 0, 1].map((i) => ({ granuleId: tile.granules[i]!, date: tile.dates[i]! }));
    const job = parseEvent(SUBJECTS.chipClip, { schemaVersion: 1, runId: 'run1', tileId: '15TVG', chipId: 'chip_085_328', scenes });
    await handleChipClip(job, ctx);
    const mergedPath = join(dir, 'chips', 'chip_085_328_merged.tif');
    const mtime = statSync(mergedPath).mtimeMs;
    await handleChipClip(job, ctx); // redelivery: reuses the complete clip, writes nothing
    assert.equal(statSync(mergedPath).mtimeMs, mtime);
    // Both runs published the same event under the same id; JetStream stored it once.
    assert.equal(acks.length, 2);
    assert.deepEqual([acks[0]!.subject, acks[0]!.msgId, acks[0]!.event], [acks[1]!.subject, acks[1]!.msgId, acks[1]!.event]);
    assert.deepEqual(acks.map((a) => a.duplicate), [false, true]);
    const stored = await published();
    assert.equal(stored.length, 1);
    const p = stored[0]!;
    assert.equal(p.subject, 'hls.chip.clipped');
    assert.equal(p.msgId, 'hls.chip.clipped:run1:chip_085_328');
    const ev = p.data as EventOf<'hls.chip.clipped'>;
    assert.deepEqual(ev.scenes.map((s) => s.date), tile.dates);
    assert.deepEqual(ev.qa.validCounts, [50176, 50176, 50176]);
    assert.equal(ev.qa.nodataCount, 0);
    const merged = await readRasterWindow(join(dir, ev.files.merged));
    assert.equal(merged.bands.length, 18);
    assert.deepEqual(merged.geoTransform, [-151935, 30, 0, 2601405, 0, -30]);
  });

  it('a chip that is not in the payload is a permanent error naming it', async () => {
    const scenes = tile.granules.map((g, i) => ({ granuleId: g, date: tile.dates[i]! }));
    const job = parseEvent(SUBJECTS.chipClip, { schemaVersion: 1, runId: 'run1', tileId: '15TVG', chipId: 'chip_999_999', scenes });
    const { ctx, published } = await context();
    await assert.rejects(handleChipClip(job, ctx), (e: unknown) => e instanceof PermanentError && /chip_999_999/.test(e.message));
    assert.deepEqual(await published(), []);
  });
});
