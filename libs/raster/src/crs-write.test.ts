// Our writer's user-defined CRSs against GDAL's: a band written with hlsUtmCrs / CDL_ALBERS_CRS has
// the same GeoKeys, key for key, as the same band re-written by `gdal_translate -a_srs '<WKT>'`; GDAL
// reads the same CRS from both, and our reader maps both to the EPSG code.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CDL_ALBERS_CRS, CDL_ALBERS_WKT, hlsUtmCrs, hlsUtmWkt, readRasterInfo, writeGeoTiff } from './index.ts';
import type { Crs, GeoTransform } from './index.ts';
import { reflectanceBand } from './testing/fixtures.ts';
import { gdalinfo, run } from './testing/gdal.ts';
import { rawGeoKeys } from './testing/geokeys.ts';

const dir = mkdtempSync(join(tmpdir(), 'raster-crs-write-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const N = 64;

const CASES: { name: string; crs: Crs; wkt: string; epsg: number; gt: GeoTransform }[] = [
  { name: 'HLS UTM 15N', crs: hlsUtmCrs(15), wkt: hlsUtmWkt(15), epsg: 32615, gt: [600000, 30, 0, 4800000, 0, -30] },
  { name: 'HLS UTM 55S', crs: hlsUtmCrs(55, true), wkt: hlsUtmWkt(55, true), epsg: 32755, gt: [600000, 30, 0, 5800000, 0, -30] },
  { name: 'CDL ESRI Albers', crs: CDL_ALBERS_CRS, wkt: CDL_ALBERS_WKT, epsg: 5070, gt: [-2356095 + 30 * 10000, 30, 0, 3172605 - 30 * 20000, 0, -30] },
];

describe('writeGeoTiff with a user-defined CRS', () => {
  for (const k of CASES) {
    test(`${k.name}: the GeoKeys GDAL writes for its WKT, GDAL reads the same CRS, we read EPSG:${k.epsg}`, async () => {
      const band = reflectanceBand(N, N, 1);
      const ours = join(dir, `${k.name}.ours.tif`);
      const twin = join(dir, `${k.name}.epsg.tif`);
      const theirs = join(dir, `${k.name}.gdal.tif`);
      await writeGeoTiff(ours, { width: N, height: N, bands: [band], geoTransform: k.gt, crs: k.crs, nodata: -9999 });
      await writeGeoTiff(twin, { width: N, height: N, bands: [band], geoTransform: k.gt, epsg: k.epsg, nodata: -9999 });
      run('gdal_translate', ['-q', '-a_srs', k.wkt, twin, theirs]);
      assert.deepEqual(await rawGeoKeys(ours), await rawGeoKeys(theirs));
      const a = gdalinfo(ours);
      const b = gdalinfo(theirs);
      assert.ok(a.coordinateSystem?.wkt, 'GDAL reads a CRS from our file');
      assert.equal(a.coordinateSystem?.wkt, b.coordinateSystem?.wkt);
      assert.deepEqual(a.geoTransform, k.gt);
      // And our reader takes both as the EPSG CRS they are.
      assert.equal((await readRasterInfo(ours)).epsg, k.epsg);
      assert.equal((await readRasterInfo(theirs)).epsg, k.epsg);
    });
  }
  test('a CRS with neither an EPSG code nor GeoKeys is refused', async () => {
    await assert.rejects(
      writeGeoTiff(join(dir, 'x.tif'), { width: 1, height: 1, bands: [new Int16Array(1)], geoTransform: [0, 1, 0, 0, 0, -1], crs: { epsg: null, proj4: '+proj=longlat', name: 'odd' } }),
      /"odd" has neither an EPSG code nor GeoKeys/,
    );
  });
});
