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

test('within vs intersects, holes and concave AOIs', async () => {
  const p = await readChipPayload(CHIPS_4326);
  const c = p.chips.find((x) => x.id === 'chip_085_328')!;
  // Its box: lon -97.970..-97.881, lat 46.327..46.389.
  assert.equal(chipsInAoi([c], [box(-98, 46.3, -97.8, 46.4)]).length, 1);
  assert.equal(chipsInAoi([c], [box(-97.93, 46.3, -97.8, 46.4)]).length, 0, 'half out: not within');
  assert.equal(chipsInAoi([c], [box(-97.93, 46.3, -97.8, 46.4)], 'intersects').length, 1);
  assert.equal(chipsInAoi([c], [box(-97.93, 46.34, -97.92, 46.35)], 'intersects').length, 1, 'AOI inside the chip intersects');
  assert.equal(chipsInAoi([c], [box(-90, 40, -89, 41)], 'intersects').length, 0);
  const holed: AreaGeometry = { type: 'Polygon', coordinates: [ring(-99, 45, -97, 47), ring(-97.95, 46.34, -97.9, 46.36)] };
  assert.equal(chipsInAoi([c], [holed]).length, 0, 'a hole under the chip');
  // A U-shaped AOI whose notch cuts through the chip: all four corners inside, the chip is not.
  const u: AreaGeometry = { type: 'Polygon', coordinates: [[[-98, 46.3], [-97.8, 46.3], [-97.8, 46.4], [-97.92, 46.4], [-97.92, 46.35], [-97.93, 46.35], [-97.93, 46.4], [-98, 46.4], [-98, 46.3]]] };
  assert.equal(chipsInAoi([c], [u]).length, 0);
  const inAll = chipsInAoi(p.chips, [box(-100, 40, -90, 45)]);
  assert.ok(inAll.length > 0 && inAll.length < 1751);
  assert.throws(() => aoiGeometries({ type: 'Point', coordinates: [0, 0] }, 'aoi.geojson'), /aoi.geojson: root is not a Polygon/);
});
