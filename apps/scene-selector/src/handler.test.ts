import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BANDS, ConfigSchema, parseEvent } from '@hls/contracts';
import type { EventOf, Subject } from '@hls/contracts';
import type { ServiceContext } from '@hls/runtime';
import { handleTileScenes } from './handler.ts';

interface Published {
  subject: string;
  event: unknown;
  msgId: string;
}

const dir = mkdtempSync(join(tmpdir(), 'scene-selector-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fakeContext(config: unknown, published: Published[]): ServiceContext {
  const noop = () => undefined;
  const log = { info: noop, warn: noop, error: noop, debug: noop, child: () => log };
  return {
    service: 'scene-selector',
    log,
    run: async () => ({ config: ConfigSchema.parse(config) }),
    datasetDir: async () => dir,
    publish: async (subject: string, event: unknown, msgId: string) => {
      published.push({ subject, event: parseEvent(subject as Subject, { schemaVersion: 1, ...(event as object) }), msgId });
    },
    kv: {},
    working: noop,
    annotate: noop,
    signal: new AbortController().signal,
  } as unknown as ServiceContext;
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

function tileScenes(tile: string, scenes: unknown[], problems: unknown[] = []): EventOf<'hls.tile.scenes'> {
  return parseEvent('hls.tile.scenes', { schemaVersion: 1, runId: 'run-1', tileId: tile, chipIds: ['chip_001_002', 'chip_001_003'], scenes, problems });
}

describe('scene-selector handler', () => {
  it('publishes 3 scenes in date order with slots, and writes selected_tiles.csv and tile_payloads.json', async () => {
    const published: Published[] = [];
    const ev = tileScenes('15TVG', [scene('15TVG', 200, 1, 100), scene('15TVG', 100, 0, 100), scene('15TVG', 150, 2, 100), scene('15TVG', 180, 3, 100), scene('15TVG', 120, 30, 100)]);
    await handleTileScenes(ev, fakeContext({}, published));
    assert.deepEqual(published.map((p) => [p.subject, p.msgId]), [0, 1, 2].map((s) => ['hls.scene.selected', `hls.scene.selected:run-1:15TVG:${s}`]));
    const sel = published.map((p) => p.event as EventOf<'hls.scene.selected'>);
    // 4 clear scenes (doy 120 is cloudy): the lower middle is doy 150.
    const ids = ['HLS.S30.T15TVG.2022100T170851.v2.0', 'HLS.S30.T15TVG.2022150T170851.v2.0', 'HLS.S30.T15TVG.2022200T170851.v2.0'];
    assert.deepEqual(sel.map((e) => [e.slot, e.scene.granuleId]), ids.map((g, i) => [i, g]));
    assert.deepEqual(sel[0]!.granuleIds, ids);
    const csv = readFileSync(join(dir, 'selected_tiles.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 4);
    assert.ok(csv[1]!.startsWith(`${ids[0]},15TVG,0,100,2022-04-10,[],`));
    assert.ok(csv[1]!.includes(`s3://lp-prod-protected/HLSS30.020/${ids[0]}/${ids[0]}.B02.tif`));
    const payloads = JSON.parse(readFileSync(join(dir, 'tile_payloads.json'), 'utf8')) as { title_id: string; bands: { band_name: string; cid: string }[] }[];
    assert.deepEqual(payloads.map((p) => p.title_id), ids);
    assert.deepEqual(payloads[1]!.bands[3], { band_name: 'B8A', filename: `${ids[1]}.B8A.tif`, cid: 'bafy150B8A' });
  });

  it('the `upper` middle option takes index n/2, as the original code did', async () => {
    const published: Published[] = [];
    const ev = tileScenes('14TQL', [100, 150, 180, 200].map((d) => scene('14TQL', d, 0, 100)));
    await handleTileScenes(ev, fakeContext({ scene_selection: { middle: 'upper' } }, published));
    assert.equal((published[1]!.event as EventOf<'hls.scene.selected'>).scene.granuleId, 'HLS.S30.T14TQL.2022180T170851.v2.0');
    // Both tiles are in the merged files.
    const csv = readFileSync(join(dir, 'selected_tiles.csv'), 'utf8').trim().split('\n');
    assert.deepEqual(csv.slice(1).map((l) => l.split(',')[1]), ['14TQL', '14TQL', '14TQL', '15TVG', '15TVG', '15TVG']);
  });

  it('rejects a tile without a qualifying triple, and every chip of it with "no-scenes"', async () => {
    const published: Published[] = [];
    const ev = tileScenes('15TWG', [scene('15TWG', 100, 0, 100), scene('15TWG', 150, 0, 40), scene('15TWG', 200, 9, 100)], [
      { granuleId: 'HLS.S30.T15TWG.2022160T170851.v2.0', source: 'x.cmr.xml', message: 'bad' },
    ]);
    await handleTileScenes(ev, fakeContext({}, published));
    assert.deepEqual(published.map((p) => [p.subject, p.msgId]), [
      ['hls.tile.rejected', 'hls.tile.rejected:run-1:15TWG'],
      ['hls.chip.rejected', 'hls.chip.rejected:run-1:chip_001_002'],
      ['hls.chip.rejected', 'hls.chip.rejected:run-1:chip_001_003'],
    ]);
    const tile = published[0]!.event as EventOf<'hls.tile.rejected'>;
    assert.equal(tile.reason, 'no-scenes');
    assert.equal(
      tile.detail,
      'tile 15TWG: 3 scene(s) found, 2 with cloud cover <= 5%, 1 of those with spatial coverage >= 50%; 3 needed; 1 metadata document(s) unreadable (HLS.S30.T15TWG.2022160T170851.v2.0)',
    );
    const chip = published[1]!.event as EventOf<'hls.chip.rejected'>;
    assert.deepEqual([chip.reason, chip.tileId, chip.detail], ['no-scenes', '15TWG', tile.detail]);
    // A rejected tile writes no part.
    assert.ok(!readFileSync(join(dir, 'selected_tiles.csv'), 'utf8').includes('15TWG'));
  });
});
