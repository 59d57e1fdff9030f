// Scene choice as the original identify_hls_scenes.py makes it (easierdata/multi-temporal-crop-
// classification-training-data, crop_classification/data_prep/identify_hls_scenes.py.py): one case per
// rule, each built from real documents in fixtures/real.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigSchema, type AreaGeometry } from '@hls/contracts';
import { REAL_FIXTURES } from '@hls/common';
import { buildTileIndex, chooseTile, readChipPayload, readS2GridKml, tileSearchGeometry, transformer } from '@hls/geo';
import { GranuleDirectorySource, findScenes, readCmrJsonFeed, readEcho10, selectScenes, sortScenes, tileSearchParams, toScene, writeGranuleDirectory } from './index.ts';

const META = `${REAL_FIXTURES}/hls-metadata`;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stac-parity-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('1. search window: the end is the instant 2022-09-30T00:00:00Z', () => {
  it('leaves out a real scene of 30 September; search.to 23:59:59 lets it in', async () => {
    // A real granule sensed on 30 Sept 2022 (easierdata dashboard layer: id, datetime and footprint).
    const doc = JSON.parse(readFileSync(`${META}/easierdata_dashboard_HLSS30_2.0-B02.geojson`, 'utf8')) as {
      features: { properties: { item_id: string; datetime: string }; geometry: { coordinates: [number, number][][] } }[];
    };
    const f = doc.features.find((x) => x.properties.item_id === 'HLS.S30.T13SFC.2022273T174141.v2.0')!;
    assert.equal(f.properties.datetime, '2022-09-30T17:53:28.288000Z');
    const d = join(dir, 'window');
    await writeGranuleDirectory(d, [
      { granuleId: f.properties.item_id, cloudCover: 1, spatialCoverage: 100, sensingTime: f.properties.datetime, footprint: f.geometry.coordinates[0]!.slice(0, -1) },
      // The same tile a day earlier, inside either window.
      { granuleId: 'HLS.S30.T13SFC.2022272T174141.v2.0', cloudCover: 1, spatialCoverage: 100, footprint: f.geometry.coordinates[0]!.slice(0, -1) },
    ]);
    const src = new GranuleDirectorySource(d);
    const byDefault = tileSearchParams(ConfigSchema.parse({}));
    assert.equal(byDefault.datetime, '2022-03-01T00:00:00Z/2022-09-30T00:00:00Z');
    assert.deepEqual((await findScenes(src, byDefault)).scenes.map((s) => s.granuleId), ['HLS.S30.T13SFC.2022272T174141.v2.0']);
    // A bare date is that day's midnight too (what the original's datetime(2022, 9, 30) formats to).
    assert.equal(tileSearchParams(ConfigSchema.parse({ search: { to: '2022-09-30' } })).datetime, byDefault.datetime);
    const wider = tileSearchParams(ConfigSchema.parse({ search: { to: '2022-09-30T23:59:59Z' } }));
    assert.equal((await findScenes(src, wider)).scenes.length, 2);
  });
});

describe('3. candidates: only granules whose footprint touches a chip of the tile', () => {
  it('drops a partial granule of the real tile 15TXK that misses its real chip', async () => {
    const grid = await readS2GridKml(`${REAL_FIXTURES}/s2-grid/sentinel_tile_grid_subset.reconstructed.kml`);
    const payload = await readChipPayload(`${REAL_FIXTURES}/chips/midwest_crops_chip_payload.geojson`);
    const chip = payload.chips.find((c) => c.id === 'chip_111_401')!;
    const tile = grid[chooseTile(buildTileIndex(grid), chip).tile]!;
    assert.equal(tile.name, '15TXK');
    const full = tileSearchGeometry(tile).coordinates[0]!;
    // A partial (swath-edge) granule: the tile's eastern 10 km strip, drawn in the tile's own UTM zone.
    const toLl = transformer(tile.epsg, 4326);
    const [, minY, maxX, maxY] = tile.footprintUtm;
    const strip = [[maxX - 10_000, maxY], [maxX, maxY], [maxX, minY], [maxX - 10_000, minY]].map((p) => toLl(p as [number, number]));
    // The chip's own box is far from that strip (the chip is in the west half of the tile).
    const chipLons = (chip.geometry.type === 'Polygon' ? chip.geometry.coordinates[0]! : chip.geometry.coordinates[0]![0]!).map((p) => p[0]);
    assert.ok(Math.max(...chipLons) < Math.min(...strip.map((p) => p[0])));
    const d = join(dir, 'touch');
    await writeGranuleDirectory(d, [
      { granuleId: 'HLS.S30.T15TXK.2022152T170851.v2.0', cloudCover: 1, spatialCoverage: 100, footprint: full.slice(0, -1) as [number, number][] },
      { granuleId: 'HLS.S30.T15TXK.2022155T171901.v2.0', cloudCover: 1, spatialCoverage: 9, footprint: strip },
    ]);
    const chipAreas: AreaGeometry[] = [chip.geometry];
    const found = await findScenes(new GranuleDirectorySource(d), { collections: ['HLSS30_2.0'], intersects: tileSearchGeometry(tile) }, { tileId: '15TXK', chipAreas });
    assert.deepEqual(found.scenes.map((s) => s.granuleId), ['HLS.S30.T15TXK.2022152T170851.v2.0']);
    assert.equal(found.outsideChips, 1);
    // Without the tile's chips (a tile-only search, `scenes search`), both are candidates.
    const all = await findScenes(new GranuleDirectorySource(d), { collections: ['HLSS30_2.0'] }, { tileId: '15TXK' });
    assert.equal(all.scenes.length, 2);
  });
});

describe('4. same-date scenes keep the STAC result order (the original sorts by date, stably)', () => {
  // Real CMR search results: tile 15TWL has two granules sensed on 7 Oct 2025 (two orbits).
  const feed = readCmrJsonFeed(JSON.parse(readFileSync(`${META}/cmr_granules.json_search_HLSS30_page1.json`, 'utf8')), 'cmr page 1');
  // CMR JSON has no spatial coverage (the pipeline reads it from the .cmr.xml); these all cover the tile.
  const scenes = feed.records.filter((r) => r.granuleId.includes('T15TWL')).map((r) => toScene({ ...r, spatialCoverage: 100 }));
  it('a tie in the order the source gave it', () => {
    const ids = scenes.map((s) => s.granuleId.slice(15, 22) + s.granuleId.slice(22, 29));
    assert.deepEqual(ids, ['2025275T170141', '2025278T171211', '2025280T170109', '2025280T171721']);
    // A source that lists the later orbit first (as any API may): that order stays, granule ids do not decide.
    const swapped = [scenes[0]!, scenes[1]!, scenes[3]!, scenes[2]!];
    assert.deepEqual(sortScenes(swapped).map((s) => s.granuleId), swapped.map((s) => s.granuleId));
    assert.deepEqual(sortScenes([...swapped].reverse()).map((s) => s.granuleId.slice(15)), ['2025275T170141.v2.0', '2025278T171211.v2.0', '2025280T170109.v2.0', '2025280T171721.v2.0']);
    // The selection's last scene is the tie's last in source order (cloud 91 % on day 278 is out at 10 %).
    const sel = selectScenes(swapped, { cloudCoverThreshold: 10 });
    assert.ok(sel.ok);
    assert.deepEqual(sel.scenes.map((s) => s.granuleId), ['HLS.S30.T15TWL.2025275T170141.v2.0', 'HLS.S30.T15TWL.2025280T171721.v2.0', 'HLS.S30.T15TWL.2025280T170109.v2.0']);
  });
});

describe('5. cloud cover: int(cloud) <= threshold', () => {
  it('a 5.9 % scene passes the 5 % threshold, a 6 % one does not', () => {
    // The real producer .cmr.xml, its CLOUD_COVERAGE (53) set to 5.9 and then 6.
    const real = readFileSync(`${META}/echo10_HLS.S30.T35VLJ.2021168T100559.v2.0.cmr.xml`, 'utf8');
    const withCloud = (v: string) => {
      const xml = real.replace(/(<Name>CLOUD_COVERAGE<\/Name>\s*<Values>\s*<Value>)53(<\/Value>)/, `$1${v}$2`);
      assert.notEqual(xml, real);
      return toScene({ ...readEcho10(xml, 'real .cmr.xml'), spatialCoverage: 100 });
    };
    const s59 = withCloud('5.9');
    assert.equal(s59.cloudCover, 5.9);
    const days = ['2021168', '2021178', '2021188'];
    const three = days.map((d, i) => ({ ...s59, granuleId: s59.granuleId.replace('2021168', d) as typeof s59.granuleId, date: `2021-06-${17 + 10 * i}` }));
    assert.equal(selectScenes(three).ok, true);
    const six = withCloud('6');
    const r = selectScenes([...three.slice(0, 2), { ...three[2]!, cloudCover: six.cloudCover }]);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.detail, /2 with cloud cover <= 5%/);
  });
});
