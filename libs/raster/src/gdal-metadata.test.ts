import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fromFile } from 'geotiff';
import { encodeGdalMetadata, formatG18 } from './gdal-metadata.ts';
import { parseGdalMetadata, readRasterInfo, writeGeoTiff } from './index.ts';
import type { GdalMetadata, GeoTransform } from './index.ts';
import { reflectanceBand } from './testing/fixtures.ts';
import { gdalinfo, rasterioView, run } from './testing/gdal.ts';

const dir = mkdtempSync(join(tmpdir(), 'raster-gdalmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const GT: GeoTransform = [399960, 30, 0, 4800000, 0, -30];
const TRICKY = 'a&b <c> "q" \'s\' &amp;';

/** The GDAL_METADATA tag's text of a file, as stored. */
async function gdalMetadataTag(path: string): Promise<string | undefined> {
  const tiff = await fromFile(path);
  try {
    const image = await tiff.getImage(0);
    return (await image.getFileDirectory().loadValue('GDAL_METADATA')) as string | undefined;
  } finally {
    tiff.close();
  }
}

const HLS_LIKE: GdalMetadata = {
  items: { cloud_coverage: '3', SENSING_TIME: '2022-06-01T17:08:51Z', TRICKY },
  bands: [
    { description: 'Blue', scale: 0.0001, offset: 0, items: { _FillValue: '-9999', add_offset: '0', long_name: 'Blue', scale_factor: '0.0001' } },
    { description: TRICKY, scale: 2.5e-7, offset: -0.1, items: { 'odd&<name>': TRICKY } },
  ],
};

describe('GDAL metadata (GDAL_METADATA tag)', () => {
  test('what we write, gdalinfo and rasterio read: items, band items, descriptions, scale/offset; GDAL rewrites the same XML', async () => {
    const path = join(dir, 'ours.tif');
    const [w, h] = [40, 30];
    await writeGeoTiff(path, { width: w, height: h, bands: [reflectanceBand(w, h, 1), reflectanceBand(w, h, 2)], geoTransform: GT, epsg: 32615, nodata: -9999, gdalMetadata: HLS_LIKE });
    const gi = gdalinfo(path);
    const { AREA_OR_POINT: _aop, ...datasetItems } = gi.metadata?.[''] ?? {};
    assert.deepEqual(datasetItems, HLS_LIKE.items);
    assert.deepEqual(gi.bands.map((b) => b.description), ['Blue', TRICKY]);
    assert.deepEqual(gi.bands.map((b) => [b.scale, b.offset]), [[0.0001, 0], [2.5e-7, -0.1]]);
    assert.deepEqual(gi.bands.map((b) => b.metadata?.[''] ?? {}), HLS_LIKE.bands!.map((b) => b!.items));

    const rio = rasterioView(path);
    assert.deepEqual(rio.descriptions, ['Blue', TRICKY]);
    assert.deepEqual(rio.scales, [0.0001, 2.5e-7]);
    assert.deepEqual(rio.offsets, [0, -0.1]);
    assert.deepEqual(rio.nodatavals, [-9999, -9999]);
    assert.equal(rio.tags.TRICKY, TRICKY);
    assert.equal(rio.bandTags[0]?.long_name, 'Blue');

    // GDAL copying the file writes exactly the XML we wrote.
    const copy = join(dir, 'gdal-copy.tif');
    run('gdal_translate', ['-q', path, copy]);
    assert.equal(await gdalMetadataTag(copy), await gdalMetadataTag(path));
  });

  test('what GDAL writes (gdal_translate -mo, gdal_edit.py), we read: one parser for items, descriptions, scale/offset', async () => {
    const src = join(dir, 'plain.tif');
    await writeGeoTiff(src, { width: 20, height: 20, bands: [reflectanceBand(20, 20, 3), reflectanceBand(20, 20, 4)], geoTransform: GT, epsg: 32615, nodata: -9999 });
    assert.equal(await gdalMetadataTag(src), undefined);
    const path = join(dir, 'by-gdal.tif');
    run('gdal_translate', ['-q', '-mo', `TRICKY=${TRICKY}`, '-mo', 'cloud_coverage=3', src, path]);
    run('gdal_edit.py', ['-scale', '0.0001', '2', '-offset', '0', '-5', path]);
    const script = `
import sys
from osgeo import gdal
ds = gdal.Open(sys.argv[1], gdal.GA_Update)
b = ds.GetRasterBand(2)
b.SetDescription(sys.argv[2])
b.SetMetadataItem('long_name', 'Green')
ds = None
`;
    run('/usr/bin/python3', ['-c', script, path, TRICKY]);
    const info = await readRasterInfo(path);
    assert.deepEqual(info.metadata, { TRICKY, cloud_coverage: '3' });
    assert.deepEqual(info.descriptions, [null, TRICKY]);
    assert.deepEqual(info.scale, [0.0001, 2]);
    assert.deepEqual(info.offset, [0, -5]);
    assert.deepEqual(info.bandMetadata, [{}, { long_name: 'Green' }]);
  });

  test('our XML equals GDAL\'s for the same content (band description written by GDAL on a copy of our file)', async () => {
    const md: GdalMetadata = { bands: [{ description: 'B02_t1', scale: 0.0001, offset: 0 }] };
    const ours = join(dir, 'desc-ours.tif');
    const plain = join(dir, 'desc-plain.tif');
    const band = reflectanceBand(10, 10, 5);
    await writeGeoTiff(ours, { width: 10, height: 10, bands: [band], geoTransform: GT, epsg: 32615, gdalMetadata: md });
    await writeGeoTiff(plain, { width: 10, height: 10, bands: [band], geoTransform: GT, epsg: 32615 });
    const theirs = join(dir, 'desc-gdal.tif');
    copyFileSync(plain, theirs);
    run('/usr/bin/python3', ['-c', `
import sys
from osgeo import gdal
ds = gdal.Open(sys.argv[1], gdal.GA_Update)
b = ds.GetRasterBand(1)
b.SetDescription('B02_t1'); b.SetScale(0.0001); b.SetOffset(0)
ds = None
`, theirs]);
    assert.equal(await gdalMetadataTag(ours), await gdalMetadataTag(theirs));
  });

  test('encoder details: nothing to write is no tag; %.18g numbers; HLS dataset-wide scale_factor fallback', () => {
    assert.equal(encodeGdalMetadata(undefined), null);
    assert.equal(encodeGdalMetadata({ items: {}, bands: [{}] }), null);
    assert.deepEqual(['0.0001', '1e-05', '0', '1', '-0.1', '2.5e-07'].map((s) => formatG18(Number(s))), [
      '0.000100000000000000005',
      '1.00000000000000008e-05',
      '0',
      '1',
      '-0.100000000000000006',
      '2.49999999999999989e-07',
    ]);
    const hls = '<GDALMetadata><Item name="scale_factor">0.0001</Item><Item name="add_offset">0</Item></GDALMetadata>';
    assert.deepEqual(parseGdalMetadata(hls, 2).bands.map((b) => [b.scale, b.offset]), [[0.0001, 0], [0.0001, 0]]);
    // Items of other domains are not default-domain items.
    const dom = '<GDALMetadata><Item name="X" domain="IMAGERY">1</Item><Item name="Y">2</Item></GDALMetadata>';
    assert.deepEqual(parseGdalMetadata(dom, 1).items, { Y: '2' });
  });
});
