import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CDL_GRID } from '@hls/contracts';
import { isSupportedEpsg, parseEpsg, projString, transformer, utmEpsg, utmZoneOf } from './crs.ts';
import {
  boxOfWindow,
  boxPixels,
  chipBoxAt,
  chipLatticeOf,
  gridOffset,
  isOnGrid,
  mapToPixel,
  pixelToMap,
  snapBox,
  snapBoxOut,
  windowOfBox,
} from './cdl-grid.ts';
import { gdalProj4, gdalTransform } from './test-helpers.ts';

test('proj strings are the ones GDAL gives for the EPSG codes', () => {
  for (const epsg of [4326, 5070, 32601, 32615, 32660, 32701, 32733, 32760]) {
    assert.equal(projString(epsg), gdalProj4(epsg), `EPSG:${epsg}`);
  }
});

test('UTM codes, zones and unsupported CRSs', () => {
  assert.equal(utmEpsg(15, true), 32615);
  assert.equal(utmEpsg(1, false), 32701);
  assert.deepEqual(utmZoneOf(32760), { zone: 60, north: false });
  assert.equal(utmZoneOf(5070), null);
  assert.throws(() => utmEpsg(61, true), /zone 61/);
  assert.throws(() => projString(3857), /EPSG:3857 is not in the CRS registry/);
  assert.equal(isSupportedEpsg(32661), false);
  assert.equal(parseEpsg('epsg:5070'), 5070);
  assert.throws(() => parseEpsg('WGS84'), /not of the form/);
});

test('transforms agree with gdaltransform to the millimetre', () => {
  const lonlat: [number, number][] = [
    [-97.92577178518833, 46.3576747215992],
    [-83.971557, 40.1],
    [-120.5, 35.25],
    [-75.05, 39.72],
  ];
  for (const [epsg, pts] of [
    [5070, lonlat],
    [32614, lonlat],
    [32701, [[-179.5, -72.5] as [number, number], [-177.2, -30]]],
    [32660, [[177.5, 65.1] as [number, number]]],
  ] as [number, [number, number][]][]) {
    const want = gdalTransform(pts, 4326, epsg);
    const t = transformer(4326, epsg);
    const back = transformer(epsg, 4326);
    pts.forEach((p, i) => {
      const got = t(p);
      assert.ok(Math.abs(got[0] - want[i]![0]) < 1e-3 && Math.abs(got[1] - want[i]![1]) < 1e-3, `EPSG:${epsg} ${p}: ${got} vs ${want[i]}`);
      const r = back(got);
      assert.ok(Math.abs(r[0] - p[0]) < 1e-9 && Math.abs(r[1] - p[1]) < 1e-9, `round trip ${p}`);
    });
  }
});

test('pixel <-> map on the CDL grid', () => {
  assert.deepEqual(pixelToMap(0, 0), [CDL_GRID.x0, CDL_GRID.y0]);
  assert.deepEqual(pixelToMap(10, 20), [-2356095 + 300, 3172605 - 600]);
  assert.deepEqual(mapToPixel(-2356095 + 300, 3172605 - 600), [10, 20]);
  assert.deepEqual(mapToPixel(-2356095 + 15, 3172605 - 15), [0.5, 0.5]);
});

test('snap, window and lattice of chip boxes', () => {
  // chip_085_328 of the real payload.
  const box = chipBoxAt(85, 328);
  assert.deepEqual(box, [-151935, 2594685, -145215, 2601405]);
  assert.deepEqual(chipLatticeOf(box), { row: 85, col: 328 });
  assert.equal(chipLatticeOf([-151905, 2594685, -145185, 2601405]), null);
  assert.ok(isOnGrid(box));
  assert.deepEqual(boxPixels(box), { width: 224, height: 224 });
  const w = windowOfBox(box);
  assert.deepEqual(w, { col: 328 * 224, row: 85 * 224, width: 224, height: 224 });
  assert.deepEqual(boxOfWindow(w), box);
  const off: [number, number, number, number] = [box[0] + 0.4, box[1] - 0.3, box[2] + 7, box[3] - 14.9];
  assert.ok(!isOnGrid(off));
  assert.ok(Math.abs(gridOffset(off) - 14.9) < 1e-6);
  assert.deepEqual(snapBox(off), box);
  assert.deepEqual(snapBox([box[0], box[1], box[2], box[3] - 15.1]), [box[0], box[1], box[2], box[3] - 30]);
  assert.deepEqual(snapBoxOut(off), [box[0], box[1] - 30, box[2] + 30, box[3]]);
  assert.deepEqual(windowOfBox(off), { col: 328 * 224, row: 85 * 224, width: 225, height: 225 });
  assert.equal(boxPixels([0, 0, 45, 30]), null);
});
