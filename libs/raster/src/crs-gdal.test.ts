// User-defined CRSs as the archives carry them, written by GDAL (`gdal_translate -a_srs '<WKT>'`):
// each is read as its EPSG twin, reprojects to the same bytes as the twin, and agrees with
// gdalwarp -et 0 as the EPSG-coded files do; one with no EPSG equivalent still agrees with gdalwarp.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CDL_ALBERS_WKT, hlsUtmWkt, readRasterInfo, readRasterWindow, reprojectFile, writeGeoTiff } from './index.ts';
import type { GeoTransform } from './index.ts';
import { fmaskBand, reflectanceBand } from './testing/fixtures.ts';
import { run } from './testing/gdal.ts';
import { compare, gdalwarp } from './testing/warp-compare.ts';

const dir = mkdtempSync(join(tmpdir(), 'raster-crs-gdal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const N = 300;

const IOWA_NORTH_WKT =
  'PROJCS["NAD83 / Iowa North",GEOGCS["NAD83",DATUM["North_American_Datum_1983",SPHEROID["GRS 1980",6378137,298.257222101]],' +
  'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic_2SP"],' +
  'PARAMETER["standard_parallel_1",43.2666666666667],PARAMETER["standard_parallel_2",42.0666666666667],' +
  'PARAMETER["latitude_of_origin",41.5],PARAMETER["central_meridian",-93.5],PARAMETER["false_easting",1500000],' +
  'PARAMETER["false_northing",1000000],UNIT["metre",1]]';

// Lambert Conformal Conic 1SP in US survey feet: no EPSG CRS has these parameters.
const LCC_1SP_FEET_WKT =
  'PROJCS["Custom LCC 1SP, US feet",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],' +
  'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic_1SP"],' +
  'PARAMETER["latitude_of_origin",42],PARAMETER["central_meridian",-93],PARAMETER["scale_factor",0.9999],' +
  'PARAMETER["false_easting",100000],PARAMETER["false_northing",200000],UNIT["US survey foot",0.304800609601219]]';

interface Case {
  name: string;
  wkt: string;
  /** EPSG code the WKT is (null: none) and the twin written with it. */
  epsg: number | null;
  gt: GeoTransform;
  seed: number;
}

const CASES: Case[] = [
  { name: 'HLS UTM 15N', wkt: hlsUtmWkt(15), epsg: 32615, gt: [600000, 30, 0, 4800000, 0, -30], seed: 11 },
  { name: 'HLS UTM 13N', wkt: hlsUtmWkt(13), epsg: 32613, gt: [399960, 30, 0, 4500000, 0, -30], seed: 12 },
  // The southern-hemisphere encoding (ProjectionGeoKey 16115, false northing 10000 km) over Iowa, so
  // it lands on the CONUS grid.
  { name: 'HLS UTM 15S', wkt: hlsUtmWkt(15, true), epsg: 32715, gt: [600000, 30, 0, 14800000, 0, -30], seed: 13 },
  { name: 'LCC 2SP NAD83 / Iowa North', wkt: IOWA_NORTH_WKT, epsg: 26975, gt: [1500000, 30, 0, 1100000, 0, -30], seed: 14 },
  // 10 m off the CDL lattice, so the warp resamples (at the same 30 m: gdalwarp widens its bilinear
  // kernel when it downsamples, which our warper, made for 30 m to 30 m, does not).
  { name: 'CDL ESRI Albers', wkt: CDL_ALBERS_WKT, epsg: 5070, gt: [-2356095 + 30 * 50000 + 10, 30, 0, 3172605 - 30 * 40000 - 10, 0, -30], seed: 15 },
  { name: 'LCC 1SP in US feet (no EPSG equivalent)', wkt: LCC_1SP_FEET_WKT, epsg: null, gt: [150000, 100, 0, 260000, 0, -100], seed: 16 },
];

const safe = (s: string): string => s.replace(/[^A-Za-z0-9]+/g, '_');

/** The band written by us with an EPSG code (or any CRS), then re-written by GDAL with the WKT: as users get archive files. */
async function gdalWritten(name: string, band: Int16Array | Uint8Array, gt: GeoTransform, nodata: number, wkt: string, epsg: number | null): Promise<{ wktFile: string; twin: string | null }> {
  const plain = join(dir, `${name}.plain.tif`);
  await writeGeoTiff(plain, { width: N, height: N, bands: [band], geoTransform: gt, epsg: epsg ?? 4326, nodata, compress: 'none' });
  const wktFile = join(dir, `${name}.wkt.tif`);
  run('gdal_translate', ['-q', '-a_srs', wkt, '-co', 'COMPRESS=DEFLATE', '-co', 'TILED=YES', plain, wktFile]);
  if (epsg === null) return { wktFile, twin: null };
  const twin = join(dir, `${name}.epsg.tif`);
  run('gdal_translate', ['-q', '-a_srs', `EPSG:${epsg}`, '-co', 'COMPRESS=DEFLATE', '-co', 'TILED=YES', plain, twin]);
  return { wktFile, twin };
}

describe('user-defined CRSs written by GDAL', () => {
  for (const k of CASES) {
    const twinText = k.epsg === null ? 'read without an EPSG code, warped by its proj4 definition' : `read as EPSG:${k.epsg}, same bytes as the EPSG twin`;
    test(`${k.name}: ${twinText}, agrees with gdalwarp -et 0`, async () => {
      const name = safe(k.name);
      const refl = reflectanceBand(N, N, k.seed);
      const { wktFile, twin } = await gdalWritten(`r_${name}`, refl, k.gt, -9999, k.wkt, k.epsg);
      const info = await readRasterInfo(wktFile);
      assert.equal(info.epsg, k.epsg);
      assert.equal(info.crs.epsg, k.epsg);

      const ours = join(dir, `r_${name}.ours.tif`);
      const res = await reprojectFile(wktFile, ours, { resampling: 'bilinear' });
      const a = await readRasterWindow(ours);
      assert.equal(a.epsg, 5070, 'outputs stay EPSG:5070');
      if (twin) {
        const twinOut = join(dir, `r_${name}.twin.tif`);
        const resTwin = await reprojectFile(twin, twinOut, { resampling: 'bilinear' });
        assert.deepEqual(res.window, resTwin.window);
        const t = await readRasterWindow(twinOut);
        assert.ok(Buffer.from(a.bands[0]!.buffer).equals(Buffer.from(t.bands[0]!.buffer)), 'same bytes as the EPSG twin');
      }
      const gdalOut = join(dir, `r_${name}.gdal.tif`);
      gdalwarp(wktFile, gdalOut, res, 'bilinear', -9999);
      const b = await readRasterWindow(gdalOut);
      assert.deepEqual(a.geoTransform, b.geoTransform);
      const c = compare(a.bands[0]!, b.bands[0]!, -9999);
      const stats = JSON.stringify(c);
      assert.ok(c.validBoth > 0.3 * c.total, `mostly valid: ${stats}`);
      // The bound the EPSG-coded files meet (src/warp-gdal.test.ts): a pixel whose exact source position is
      // within the interpolation error (< 0.001 px) of a nodata edge may fall the other way.
      assert.ok(c.maskDiff <= 0.001 * c.total, `valid masks differ on ${c.maskDiff} of ${c.total}: ${stats}`);
      assert.ok(c.within1 >= 0.999 * c.validBoth, `within 1 DN: ${stats}`);
      console.log(`${k.name}: ${stats}`);
    });
  }

  test('HLS UTM 15N Fmask, nearest: same bytes as the twin and identical to gdalwarp -et 0', async () => {
    const k = CASES[0]!;
    const fmask = fmaskBand(N, N, k.seed, reflectanceBand(N, N, k.seed));
    const { wktFile, twin } = await gdalWritten('fmask', fmask, k.gt, 255, k.wkt, k.epsg);
    const ours = join(dir, 'fmask.ours.tif');
    const res = await reprojectFile(wktFile, ours, { resampling: 'nearest' });
    const twinOut = join(dir, 'fmask.twin.tif');
    await reprojectFile(twin!, twinOut, { resampling: 'nearest' });
    const a = await readRasterWindow(ours);
    const t = await readRasterWindow(twinOut);
    assert.ok(Buffer.from(a.bands[0]!.buffer).equals(Buffer.from(t.bands[0]!.buffer)), 'same bytes as the EPSG twin');
    const gdalOut = join(dir, 'fmask.gdal.tif');
    gdalwarp(wktFile, gdalOut, res, 'near', 255);
    const c = compare(a.bands[0]!, (await readRasterWindow(gdalOut)).bands[0]!, 255);
    assert.ok(c.identical >= 0.9999 * c.total, `Fmask identical: ${JSON.stringify(c)}`);
  });
});
