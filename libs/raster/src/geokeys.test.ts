// The GeoKey reader on each code path (EPSG codes, UTM ProjectionGeoKey, each coordinate transformation,
// geographic CRS / datum / ellipsoid / semi-axes, units) and on refusals (one line with the keys found).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { crsFromGeoKeys, GeoKeyError, parseGeoKeyDirectory } from './geokeys.ts';
import type { GeoKeyValue } from './geokeys.ts';
import { CT, GK } from './geokey-codes.ts';
import { proj4Definition, readRasterInfo, transformer, writeGeoTiff } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'raster-geokeys-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const keys = (...e: [number, GeoKeyValue][]): Map<number, GeoKeyValue> => new Map(e);
const projected = (...e: [number, GeoKeyValue][]) => keys([GK.GTModelType, 1], [GK.ProjectedCSType, 32767], ...e);
const WGS84_ELLIPSOID: [number, GeoKeyValue][] = [
  [GK.GeographicType, 32767],
  [GK.GeogGeodeticDatum, 32767],
  [GK.GeogEllipsoid, 32767],
  [GK.GeogSemiMajorAxis, 6378137],
  [GK.GeogInvFlattening, 298.257223563],
];
const NAD83: [number, GeoKeyValue][] = [[GK.GeographicType, 4269]];
const CONUS_ALBERS: [number, GeoKeyValue][] = [
  [GK.ProjCoordTrans, CT.AlbersEqualArea],
  [GK.ProjStdParallel1, 29.5],
  [GK.ProjStdParallel2, 45.5],
  [GK.ProjNatOriginLat, 23],
  [GK.ProjNatOriginLong, -96],
  [GK.ProjFalseEasting, 0],
  [GK.ProjFalseNorthing, 0],
];

function refused(k: Map<number, GeoKeyValue>, why: RegExp): void {
  assert.throws(
    () => crsFromGeoKeys(k),
    (e: Error) => {
      assert.ok(e instanceof GeoKeyError, e.message);
      assert.match(e.message, why);
      assert.match(e.message, /GeoKeys found: GTModelTypeGeoKey=|GeoKeys found: \w+GeoKey=|GeoKeys found: none/);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    },
  );
}

describe('crsFromGeoKeys: EPSG codes', () => {
  test('a projected EPSG code (any, from the EPSG database)', () => {
    for (const code of [32615, 32755, 5070, 26975, 2154, 3857]) {
      const c = crsFromGeoKeys(keys([GK.GTModelType, 1], [GK.ProjectedCSType, code]));
      assert.equal(c.epsg, code);
      assert.equal(c.proj4, proj4Definition(code));
    }
  });
  test('a geographic EPSG code', () => {
    assert.equal(crsFromGeoKeys(keys([GK.GTModelType, 2], [GK.GeographicType, 4326])).epsg, 4326);
    assert.equal(crsFromGeoKeys(keys([GK.GeographicType, 4269])).epsg, 4269);
  });
});

describe('crsFromGeoKeys: user-defined CRSs', () => {
  test('ProjectionGeoKey UTM codes on the WGS 84 ellipsoid with an unnamed datum (HLS) are EPSG:326zz / 327zz', () => {
    assert.equal(crsFromGeoKeys(projected(...WGS84_ELLIPSOID, [GK.Projection, 16015], [GK.ProjLinearUnits, 9001])).epsg, 32615);
    assert.equal(crsFromGeoKeys(projected(...WGS84_ELLIPSOID, [GK.Projection, 16115])).epsg, 32715);
    assert.equal(crsFromGeoKeys(projected(...WGS84_ELLIPSOID, [GK.Projection, 16155])).epsg, 32755);
    assert.equal(crsFromGeoKeys(projected(...WGS84_ELLIPSOID, [GK.Projection, 16001])).epsg, 32601);
  });
  test('Transverse Mercator parameters equal to a UTM zone: WGS 84 -> 326zz, NAD83 -> 269zz', () => {
    const tm = (lon: number, fn: number): [number, GeoKeyValue][] => [
      [GK.ProjCoordTrans, CT.TransverseMercator],
      [GK.ProjNatOriginLat, 0],
      [GK.ProjNatOriginLong, lon],
      [GK.ProjScaleAtNatOrigin, 0.9996],
      [GK.ProjFalseEasting, 500000],
      [GK.ProjFalseNorthing, fn],
    ];
    assert.equal(crsFromGeoKeys(projected([GK.GeographicType, 4326], ...tm(-93, 0))).epsg, 32615);
    assert.equal(crsFromGeoKeys(projected([GK.GeographicType, 4326], ...tm(147, 10000000))).epsg, 32755);
    assert.equal(crsFromGeoKeys(projected(...NAD83, ...tm(-93, 0))).epsg, 26915);
    // Not a UTM zone and no EPSG CRS: kept with its own definition.
    const odd = crsFromGeoKeys(projected(...NAD83, ...tm(-92.5, 0)));
    assert.equal(odd.epsg, null);
    assert.match(odd.proj4, /\+proj=tmerc \+lat_0=0 \+lon_0=-92\.5 \+k=0\.9996 \+x_0=500000 \+y_0=0 \+ellps=GRS80/);
  });
  test('Albers on NAD83 is EPSG:5070, whether given by geographic CRS, datum code or ellipsoid code', () => {
    assert.equal(crsFromGeoKeys(projected(...NAD83, ...CONUS_ALBERS)).epsg, 5070);
    assert.equal(crsFromGeoKeys(projected([GK.GeographicType, 32767], [GK.GeogGeodeticDatum, 6269], ...CONUS_ALBERS)).epsg, 5070);
    assert.equal(crsFromGeoKeys(projected([GK.GeographicType, 32767], [GK.GeogGeodeticDatum, 32767], [GK.GeogEllipsoid, 7019], ...CONUS_ALBERS)).epsg, 5070);
  });
  test('angular units: parameters in radians are read as degrees', () => {
    const rad = (d: number) => (d * Math.PI) / 180;
    const c = crsFromGeoKeys(
      projected(...NAD83, [GK.GeogAngularUnits, 9101], [GK.ProjCoordTrans, CT.AlbersEqualArea], [GK.ProjStdParallel1, rad(29.5)], [GK.ProjStdParallel2, rad(45.5)],
        [GK.ProjNatOriginLat, rad(23)], [GK.ProjNatOriginLong, rad(-96)]),
    );
    assert.equal(c.epsg, 5070);
  });
  test('Lambert Conformal Conic 2SP (GDAL writes the false-origin keys) is the EPSG CRS on the same geographic CRS', () => {
    const c = crsFromGeoKeys(
      projected(...NAD83, [GK.ProjCoordTrans, CT.LambertConfConic2SP], [GK.ProjStdParallel1, 43.2666666666667], [GK.ProjStdParallel2, 42.0666666666667],
        [GK.ProjFalseOriginLat, 41.5], [GK.ProjFalseOriginLong, -93.5], [GK.ProjFalseOriginEasting, 1500000], [GK.ProjFalseOriginNorthing, 1000000]),
    );
    // 26975 NAD83 / Iowa North, not NAD83(HARN) / Iowa North (2794): same numbers, other datum.
    assert.equal(c.epsg, 26975);
  });
  test('Lambert Conformal Conic 1SP in US survey feet with no EPSG equivalent: false easting in feet, output in feet', () => {
    const c = crsFromGeoKeys(
      projected([GK.GeographicType, 4326], [GK.ProjCoordTrans, CT.LambertConfConic1SP], [GK.ProjLinearUnits, 9003], [GK.ProjNatOriginLat, 40],
        [GK.ProjNatOriginLong, -95], [GK.ProjScaleAtNatOrigin, 0.9999], [GK.ProjFalseEasting, 100000], [GK.ProjFalseNorthing, 200000]),
    );
    assert.equal(c.epsg, null);
    const [lon, lat] = transformer(c, 4326)(100000, 200000);
    assert.ok(Math.abs(lon + 95) < 1e-9 && Math.abs(lat - 40) < 1e-9, `${lon} ${lat}`);
    // A user-defined unit size in metres gives the same CRS.
    const d = crsFromGeoKeys(
      projected([GK.GeographicType, 4326], [GK.ProjCoordTrans, CT.LambertConfConic1SP], [GK.ProjLinearUnits, 32767], [GK.ProjLinearUnitSize, 1200 / 3937],
        [GK.ProjNatOriginLat, 40], [GK.ProjNatOriginLong, -95], [GK.ProjScaleAtNatOrigin, 0.9999], [GK.ProjFalseEasting, 100000], [GK.ProjFalseNorthing, 200000]),
    );
    assert.equal(d.proj4, c.proj4);
  });
  test('Mercator and Lambert Azimuthal Equal Area', () => {
    const merc = crsFromGeoKeys(projected([GK.GeographicType, 4326], [GK.ProjCoordTrans, CT.Mercator], [GK.ProjNatOriginLong, 0], [GK.ProjScaleAtNatOrigin, 1]));
    assert.match(merc.proj4, /\+proj=merc \+lon_0=0 \+k=1/);
    const laea = crsFromGeoKeys(projected([GK.GeographicType, 4258], [GK.ProjCoordTrans, CT.LambertAzimEqualArea], [GK.ProjCenterLat, 52], [GK.ProjCenterLong, 10],
      [GK.ProjFalseEasting, 4321000], [GK.ProjFalseNorthing, 3210000]));
    assert.equal(laea.epsg, 3035, 'ETRS89-extended / LAEA Europe');
  });
  test('a user-defined geographic CRS on the WGS 84 ellipsoid is EPSG:4326; on an odd sphere it has no code', () => {
    assert.equal(crsFromGeoKeys(keys([GK.GTModelType, 2], ...WGS84_ELLIPSOID)).epsg, 4326);
    const sphere = crsFromGeoKeys(keys([GK.GTModelType, 2], [GK.GeographicType, 32767], [GK.GeogSemiMajorAxis, 6371000], [GK.GeogInvFlattening, 0]));
    assert.equal(sphere.epsg, null);
    assert.match(sphere.proj4, /\+a=6371000 \+b=6371000/);
  });
});

describe('crsFromGeoKeys: refusals name the keys found, in one line', () => {
  test('no keys, missing keys', () => {
    refused(keys(), /no GTModelTypeGeoKey, ProjectedCSTypeGeoKey or GeographicTypeGeoKey.*GeoKeys found: none/);
    refused(projected(...WGS84_ELLIPSOID), /without ProjectionGeoKey or ProjCoordTransGeoKey/);
    refused(projected([GK.Projection, 16015]), /no geographic CRS: neither GeographicTypeGeoKey/);
    refused(projected(...NAD83, [GK.ProjCoordTrans, CT.AlbersEqualArea], [GK.ProjNatOriginLong, -96]), /ProjCoordTransGeoKey 11 without ProjStdParallel1GeoKey/);
  });
  test('unknown codes', () => {
    refused(projected(...NAD83, [GK.ProjCoordTrans, 99]), /unsupported ProjCoordTransGeoKey 99/);
    refused(projected([GK.GeographicType, 32767], [GK.GeogGeodeticDatum, 6999], [GK.Projection, 16015]), /unknown datum GeogGeodeticDatumGeoKey 6999/);
    refused(projected([GK.GeographicType, 32767], [GK.GeogEllipsoid, 7999], [GK.Projection, 16015]), /unknown ellipsoid GeogEllipsoidGeoKey 7999/);
    refused(projected(...NAD83, [GK.Projection, 10101]), /unsupported ProjectionGeoKey 10101/);
    refused(projected(...NAD83, [GK.Projection, 16015], [GK.ProjLinearUnits, 9999]), /unknown linear unit ProjLinearUnitsGeoKey 9999/);
    refused(keys([GK.GTModelType, 1], [GK.ProjectedCSType, 1234]), /ProjectedCSTypeGeoKey 1234 is not a projected CRS/);
    refused(keys([GK.GTModelType, 2], [GK.GeographicType, 32615]), /GeographicTypeGeoKey 32615 is not a geographic CRS/);
    refused(keys([GK.GTModelType, 3], [GK.GeographicType, 4326]), /unsupported GTModelTypeGeoKey 3/);
  });
  test('a file: RasterReadError names the file and the keys', async () => {
    const path = join(dir, 'bad-ct.tif');
    await writeGeoTiff(path, {
      width: 2, height: 2, bands: [new Uint8Array(4)], geoTransform: [0, 1, 0, 0, 0, -1],
      crs: { epsg: null, proj4: '', name: 'bad', geoKeys: [{ key: GK.GTModelType, short: 1 }, { key: GK.ProjectedCSType, short: 32767 }, { key: GK.GeographicType, short: 4326 }, { key: GK.ProjCoordTrans, short: 42 }, { key: GK.GTCitation, ascii: 'odd one' }] },
    });
    await assert.rejects(readRasterInfo(path), (e: Error) => {
      assert.equal(e.name, 'RasterReadError');
      assert.equal(
        e.message,
        `${path}: cannot interpret the CRS: unsupported ProjCoordTransGeoKey 42 (supported: 1 Transverse Mercator, 7 Mercator, 8 LCC 2SP, 9 LCC 1SP, 10 LAEA, 11 Albers); ` +
          'GeoKeys found: GTModelTypeGeoKey=1, GTRasterTypeGeoKey=1, GTCitationGeoKey="odd one", GeographicTypeGeoKey=4326, ProjectedCSTypeGeoKey=32767, ProjCoordTransGeoKey=42',
      );
      return true;
    });
  });
});

describe('parseGeoKeyDirectory', () => {
  test("decodes GDAL's CDL keys: shorts, doubles by offset, '|'-terminated strings", () => {
    // As gdal_translate -a_srs '<CDL ESRI WKT>' writes them (GDAL 3.6).
    const dir = [1, 1, 0, 18, 1024, 0, 1, 1, 1025, 0, 1, 1, 1026, 34737, 52, 0, 2048, 0, 1, 4269, 2049, 34737, 6, 52, 2054, 0, 1, 9102, 2057, 34736, 1, 7, 2059, 34736, 1, 6, 3072, 0, 1, 32767,
      3074, 0, 1, 32767, 3075, 0, 1, 11, 3076, 0, 1, 9001, 3078, 34736, 1, 0, 3079, 34736, 1, 1, 3080, 34736, 1, 3, 3081, 34736, 1, 2, 3082, 34736, 1, 4, 3083, 34736, 1, 5];
    const k = parseGeoKeyDirectory(dir, [29.5, 45.5, 23, -96, 0, 0, 298.257222101, 6378137], 'USA_Contiguous_Albers_Equal_Area_Conic_USGS_version|NAD83|\0');
    assert.equal(k.get(GK.GTCitation), 'USA_Contiguous_Albers_Equal_Area_Conic_USGS_version');
    assert.equal(k.get(GK.GeogCitation), 'NAD83');
    assert.equal(k.get(GK.ProjNatOriginLong), -96);
    assert.equal(k.get(GK.ProjNatOriginLat), 23);
    assert.equal(k.get(GK.GeogSemiMajorAxis), 6378137);
    assert.equal(crsFromGeoKeys(k).epsg, 5070);
    assert.throws(() => parseGeoKeyDirectory([1, 1, 0, 3, 1024, 0, 1, 1]), /truncated/);
  });
});
