import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BANDS, datasetDir, parseEvent } from '@hls/contracts';
import type { EventOf } from '@hls/contracts';
import { realServiceContext, type RealServiceContext } from '@hls/runtime/testing';
import { startNats, type NatsHandle } from '@hls/testing';
import { handleTileSearched } from './handler.ts';

const root = mkdtempSync(join(tmpdir(), 'scene-selector-'));
// Both runs write into one dataset: selected_tiles.csv merges every tile's part.
const dir = datasetDir(root, 'ds');
let nats: NatsHandle;
let real: RealServiceContext | undefined;
before(async () => {
  nats = await startNats();
});
after(async () => {
  await real?.close();
  await nats?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh context (it reads back only what it publishes) on run `runId` with the given config. */
async function context(runId: string, config: Record<string, unknown>): Promise<RealServiceContext> {
  await real?.close();
  real = await realServiceContext({ nats, service: 'scene-selector', run: { runId, config: { ...config, data_dir: root, train_dataset_name: 'ds' } } });
  assert.equal(await real.ctx.datasetDir(runId), dir);
  return real;
}

function scene(tile: string, doy: number, cloud: number, coverage: number) {
  const g = `HLS.S30.T${tile}.2022${doy}T170851.v2.0`;
  return {
    granuleId: g,
    tileId: tile,
    date: new Date(Date.UTC(2022, 0, doy)).toISOString().slice(0, 10),
    cloudCover: cloud,
    spatialCoverage: coverage,
    bands: BANDS.map((band) => ({ band, filename: `${g}.${band}.tif`, s3: `s3://lp-prod-protected/HLSS30.020/${g}/${g}.${band}.tif`, cid: `bafy${doy}${band}` })),
  };
}

function tileScenes(tile: string, scenes: unknown[], problems: unknown[] = [], runId = 'run-1'): EventOf<'hls.tile.searched'> {
  return parseEvent('hls.tile.searched', { schemaVersion: 1, runId, tileId: tile, chipIds: ['chip_001_002', 'chip_001_003'], scenes, problems });
}

describe('scene-selector handler', () => {
  it('publishes 3 scenes in date order with slots, and writes selected_tiles.csv and tile_payloads.json', async () => {
    const { ctx, published } = await context('run-1', {});
    const ev = tileScenes('15TVG', [scene('15TVG', 200, 1, 100), scene('15TVG', 100, 0, 100), scene('15TVG', 150, 2, 100), scene('15TVG', 180, 3, 100), scene('15TVG', 120, 30, 100)]);
    await handleTileSearched(ev, ctx);
    const stored = await published();
    assert.deepEqual(stored.map((p) => [p.subject, p.msgId]), [0, 1, 2].map((s) => ['hls.scene.selected', `hls.scene.selected:run-1:15TVG:${s}`]));
    const sel = stored.map((p) => p.data as EventOf<'hls.scene.selected'>);
    // 4 clear scenes (doy 120 is cloudy): the lower middle is doy 150.
    const ids = ['HLS.S30.T15TVG.2022100T170851.v2.0', 'HLS.S30.T15TVG.2022150T170851.v2.0', 'HLS.S30.T15TVG.2022200T170851.v2.0'];
    assert.deepEqual(sel.map((e) => [e.slot, e.scene.granuleId]), ids.map((g, i) => [i, g]));
    assert.deepEqual(sel[0]!.granuleIds, ids);
    const csv = readFileSync(join(dir, 'selected_tiles.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 4);
    assert.ok(csv[1]!.startsWith(`${ids[0]},T15TVG,0,100,2022-04-10,{},`));
    assert.ok(csv[1]!.includes(`s3://lp-prod-protected/HLSS30.020/${ids[0]}/${ids[0]}.B02.tif`));
    const payloads = JSON.parse(readFileSync(join(dir, 'tile_payloads.json'), 'utf8')) as Record<string, { band_name: string; cid: string }[]>;
    assert.deepEqual(Object.keys(payloads), ids);
    assert.deepEqual(payloads[ids[1]!]![3], { filename: `${ids[1]}.B8A.tif`, cid: 'bafy150B8A', band_name: 'B8A' });
  });

  it('the `upper` middle option takes index n/2, as the original code did', async () => {
    const { ctx, published } = await context('run-upper', { scene_selection: { middle: 'upper' } });
    const ev = tileScenes('14TQL', [100, 150, 180, 200].map((d) => scene('14TQL', d, 0, 100)), [], 'run-upper');
    await handleTileSearched(ev, ctx);
    const stored = await published();
    assert.deepEqual(stored.map((p) => p.msgId), [0, 1, 2].map((s) => `hls.scene.selected:run-upper:14TQL:${s}`));
    assert.equal((stored[1]!.data as EventOf<'hls.scene.selected'>).scene.granuleId, 'HLS.S30.T14TQL.2022180T170851.v2.0');
    // Both tiles are in the merged files.
    const csv = readFileSync(join(dir, 'selected_tiles.csv'), 'utf8').trim().split('\n');
    assert.deepEqual(csv.slice(1).map((l) => l.split(',')[1]), ['T14TQL', 'T14TQL', 'T14TQL', 'T15TVG', 'T15TVG', 'T15TVG']);
  });

  it('rejects a tile without a qualifying triple, and every chip of it with "no-scenes"', async () => {
    const { ctx, published } = await context('run-1', {});
    const ev = tileScenes('15TWG', [scene('15TWG', 100, 0, 100), scene('15TWG', 150, 0, 40), scene('15TWG', 200, 9, 100)], [
      { granuleId: 'HLS.S30.T15TWG.2022160T170851.v2.0', source: 'x.cmr.xml', message: 'bad' },
    ]);
    await handleTileSearched(ev, ctx);
    const stored = await published();
    assert.deepEqual(stored.map((p) => [p.subject, p.msgId]), [
      ['hls.tile.rejected', 'hls.tile.rejected:run-1:15TWG'],
      ['hls.chip.rejected', 'hls.chip.rejected:run-1:chip_001_002'],
      ['hls.chip.rejected', 'hls.chip.rejected:run-1:chip_001_003'],
    ]);
    const tile = stored[0]!.data as EventOf<'hls.tile.rejected'>;
    assert.equal(tile.reason, 'no-scenes');
    assert.equal(
      tile.detail,
      'tile 15TWG: 3 scene(s) found, 2 with cloud cover <= 5%, 1 of those with spatial coverage >= 50%; 3 needed; 1 metadata document(s) unreadable (HLS.S30.T15TWG.2022160T170851.v2.0)',
    );
    const chip = stored[1]!.data as EventOf<'hls.chip.rejected'>;
    assert.deepEqual([chip.reason, chip.tileId, chip.detail], ['no-scenes', '15TWG', tile.detail]);
    // A rejected tile writes no part.
    assert.ok(!readFileSync(join(dir, 'selected_tiles.csv'), 'utf8').includes('15TWG'));
  });
});
