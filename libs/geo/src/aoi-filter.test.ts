import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AreaGeometry } from '@hls/contracts';
import { aoiGeometries, aoiSelectionTexts, chipsInAoi, selectionPaths, validateSelectionName, writeAoiSelection } from './aoi-filter.ts';
import { readChipPayload } from './chip-payload.ts';
import { CHIPS_4326, CHIPS_5070 } from './test-helpers.ts';

type R = [number, number][];
const ring = (a: number, b: number, c: number, d: number): R => [[a, b], [c, b], [c, d], [a, d], [a, b]];
const box = (a: number, b: number, c: number, d: number): AreaGeometry => ({ type: 'Polygon', coordinates: [ring(a, b, c, d)] });

test('selection names: no path traversal', () => {
  assert.equal(validateSelectionName('midwest_crops'), 'midwest_crops');
  for (const bad of ['../x', 'a/b', '.hidden', '', 'a b', 'x\\y', '-rf']) assert.throws(() => validateSelectionName(bad), /AOI selection name/);
  assert.throws(() => selectionPaths('/tmp', '../../etc'), /AOI selection name/);
});

test('an AOI around every chip gives back the real payload and twin byte for byte', async () => {
  const p = await readChipPayload(CHIPS_4326);
  const dir = await mkdtemp(join(tmpdir(), 'geo-aoi-'));
  try {
    const aoi = aoiGeometries({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: box(-110, 30, -70, 55) }] });
    const r = await writeAoiSelection(dir, 'midwest_crops', p.chips, aoi);
    assert.equal(r.chips.length, 1751);
    assert.equal(r.payload, join(dir, 'aoi_selections', 'midwest_crops_chip_payload.geojson'));
    assert.equal(await readFile(r.payload, 'utf8'), await readFile(CHIPS_4326, 'utf8'));
    assert.equal(await readFile(r.twin, 'utf8'), await readFile(CHIPS_5070, 'utf8'));
    const texts = aoiSelectionTexts(p.chips, aoi);
    assert.equal(texts.payload, await readFile(CHIPS_4326, 'utf8'));
    assert.equal(texts.twin, await readFile(CHIPS_5070, 'utf8'));
    // The selection reads back as a payload with its twin.
    const back = await readChipPayload(r.payload);
    assert.equal(back.twin, 'read');
    assert.equal(back.chips.length, 1751);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a real chip touching but not inside an AOI is kept by default, as select_aoi keeps it; --within drops it', async () => {
  const p = await readChipPayload(CHIPS_4326);
  const c = p.chips.find((x) => x.id === 'chip_085_328')!;
  // Its box: lon -97.970..-97.881, lat 46.327..46.389. This AOI covers its east half only.
  const halfOut = box(-97.93, 46.3, -97.8, 46.4);
  assert.equal(chipsInAoi([c], [halfOut]).length, 1, 'touching: kept (turf.intersect is not null)');
  assert.equal(chipsInAoi([c], [halfOut], 'within').length, 0, 'not inside: dropped by the strict rule');
  // select_aoi's turf.intersect needs shared area: an AOI meeting the chip only along its east edge keeps nothing.
  const east = Math.max(...(c.geometry.type === 'Polygon' ? c.geometry.coordinates[0]! : c.geometry.coordinates[0]![0]!).map((q) => q[0]));
  assert.equal(chipsInAoi([c], [box(east, 46.3, -97.8, 46.4)]).length, 0);
  // Over the whole real payload: every chip within is also touching, and the touch rule adds the border chips.
  const aoi = [box(-97, 41, -93, 43)];
  const within = chipsInAoi(p.chips, aoi, 'within').map((x) => x.id);
  const touching = chipsInAoi(p.chips, aoi).map((x) => x.id);
  assert.ok(within.length > 0 && touching.length > within.length, `${touching.length} touching > ${within.length} within`);
  assert.ok(within.every((id) => touching.includes(id)));
});

test('within vs intersects, holes and concave AOIs', async () => {
  const p = await readChipPayload(CHIPS_4326);
  const c = p.chips.find((x) => x.id === 'chip_085_328')!;
  // Its box: lon -97.970..-97.881, lat 46.327..46.389.
  assert.equal(chipsInAoi([c], [box(-98, 46.3, -97.8, 46.4)], 'within').length, 1);
  assert.equal(chipsInAoi([c], [box(-97.93, 46.3, -97.8, 46.4)], 'within').length, 0, 'half out: not within');
  assert.equal(chipsInAoi([c], [box(-97.93, 46.3, -97.8, 46.4)], 'intersects').length, 1);
  assert.equal(chipsInAoi([c], [box(-97.93, 46.34, -97.92, 46.35)], 'intersects').length, 1, 'AOI inside the chip intersects');
  assert.equal(chipsInAoi([c], [box(-90, 40, -89, 41)], 'intersects').length, 0);
  const holed: AreaGeometry = { type: 'Polygon', coordinates: [ring(-99, 45, -97, 47), ring(-97.95, 46.34, -97.9, 46.36)] };
  assert.equal(chipsInAoi([c], [holed], 'within').length, 0, 'a hole under the chip');
  assert.equal(chipsInAoi([c], [holed]).length, 1, 'but it touches the AOI around the hole');
  // A U-shaped AOI whose notch cuts through the chip: all four corners inside, the chip is not.
  const u: AreaGeometry = { type: 'Polygon', coordinates: [[[-98, 46.3], [-97.8, 46.3], [-97.8, 46.4], [-97.92, 46.4], [-97.92, 46.35], [-97.93, 46.35], [-97.93, 46.4], [-98, 46.4], [-98, 46.3]]] };
  assert.equal(chipsInAoi([c], [u], 'within').length, 0);
  const inAll = chipsInAoi(p.chips, [box(-100, 40, -90, 45)], 'within');
  assert.ok(inAll.length > 0 && inAll.length < 1751);
  assert.throws(() => aoiGeometries({ type: 'Point', coordinates: [0, 0] }, 'aoi.geojson'), /aoi.geojson: root is not a Polygon/);
});
