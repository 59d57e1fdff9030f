// Correctness against GDAL: HLS-like UTM COGs (zones 13, 15 and 17, one at a zone edge, with
// nodata areas) warped by us and by gdalwarp -et 0 onto the same CDL-grid window.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readRasterWindow, reprojectFile } from './index.ts';
import { fmaskBand, reflectanceBand } from './testing/fixtures.ts';
import { compare, gdalwarp, makeHlsCog } from './testing/warp-compare.ts';

const dir = mkdtempSync(join(tmpdir(), 'raster-warp-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const N = 600;
const CASES = [
  { name: 'zone 13', zone: 13, x0: 399960, y0: 4500000, seed: 1 },
  { name: 'zone 15', zone: 15, x0: 600000, y0: 4800000, seed: 2 },
  { name: 'zone 17 at the zone edge', zone: 17, x0: 790020, y0: 4400040, seed: 3 },
];

const makeCog = (name: string, zone: number, x0: number, y0: number, band: Int16Array | Uint8Array, nodata: number): Promise<string> =>
  makeHlsCog(dir, name, N, zone, x0, y0, band, nodata);

describe('warp matches gdalwarp -et 0', () => {
  for (const k of CASES) {
    test(`${k.name}: bilinear Int16 reflectance and nearest Fmask`, async () => {
      const refl = reflectanceBand(N, N, k.seed);
      const fmask = fmaskBand(N, N, k.seed, refl);
      const srcR = await makeCog(`r${k.zone}`, k.zone, k.x0, k.y0, refl, -9999);
      const srcF = await makeCog(`f${k.zone}`, k.zone, k.x0, k.y0, fmask, 255);

      const oursR = join(dir, `r${k.zone}.ours.tif`);
      const res = await reprojectFile(srcR, oursR, { resampling: 'bilinear' });
      assert.ok(res.maxTransformError <= 0.05, `transform error ${res.maxTransformError}`);
      const gdalR = join(dir, `r${k.zone}.gdal.tif`);
      gdalwarp(srcR, gdalR, res, 'bilinear', -9999);
      const a = await readRasterWindow(oursR);
      const b = await readRasterWindow(gdalR);
      assert.deepEqual([a.width, a.height], [b.width, b.height]);
      assert.deepEqual(a.geoTransform, b.geoTransform);
      assert.equal(a.epsg, 5070);
      assert.equal(b.epsg, 5070);
      assert.equal(a.nodata, -9999);
      // Grid alignment: edges on the CDL grid.
      assert.equal((a.geoTransform[0] + 2356095) % 30, 0);
      assert.equal((3172605 - a.geoTransform[3]) % 30, 0);
      const c = compare(a.bands[0]!, b.bands[0]!, -9999);
      const stats = JSON.stringify(c);
      assert.ok(c.validBoth > 0.5 * c.total, `mostly valid: ${stats}`);
      assert.ok(c.maskDiff <= 0.001 * c.total, `valid masks differ on ${c.maskDiff} of ${c.total}: ${stats}`);
      assert.ok(c.within1 >= 0.999 * c.validBoth, `within 1 DN: ${stats}`);

      const oursF = join(dir, `f${k.zone}.ours.tif`);
      const resF = await reprojectFile(srcF, oursF, { resampling: 'nearest' });
      assert.deepEqual(resF.bbox5070, res.bbox5070);
      const gdalF = join(dir, `f${k.zone}.gdal.tif`);
      gdalwarp(srcF, gdalF, resF, 'near', 255);
      const fa = await readRasterWindow(oursF);
      const fb = await readRasterWindow(gdalF);
      assert.equal(fa.dtype, 'uint8');
      assert.deepEqual(fa.geoTransform, fb.geoTransform);
      const cf = compare(fa.bands[0]!, fb.bands[0]!, 255);
      assert.ok(cf.identical >= 0.9999 * cf.total, `Fmask identical: ${JSON.stringify(cf)}`);
      console.log(`${k.name}: bilinear ${stats}; nearest ${JSON.stringify(cf)}`);
    });
  }
});
