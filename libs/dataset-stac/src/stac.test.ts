import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CDL_GRID, CHIP, CLASS_NAMES, ConfigSchema, type BBox } from '@hls/contracts';
import { classPalette, fmaskChipMetadata, mergedChipMetadata, writeQuicklooks } from '@hls/chips';
import { writeGeoTiff } from '@hls/raster';
import { sha256Multihash } from './checksum.ts';
import { granuleInstant, type StacItem } from './item.ts';
import { sourceCatalogueOf } from './source.ts';
import { stacProblems } from './testing/stac-schemas.ts';
import { writeDatasetStac } from './write.ts';

const n = CHIP.pixels;
const TUL = ['HLS.S30.T15TUL.2022077T164320.v2.0', 'HLS.S30.T15TUL.2022118T160500.v2.0', 'HLS.S30.T15TUL.2022264T163451.v2.0'];
const DATES = ['2022-03-18', '2022-04-28', '2022-09-21'];
const box = (col: number, row: number): BBox => {
  const x = CDL_GRID.x0 + col * CDL_GRID.pixelSize;
  const y = CDL_GRID.y0 - row * CDL_GRID.pixelSize;
  return [x, y - CHIP.sizeMetres, x + CHIP.sizeMetres, y];
};
const CHIPS: Record<string, BBox> = { chip_100_370: box(82880, 22400), chip_103_370: box(82880 + 224, 22400), chip_104_374: box(82880 + 448, 22624) };
const PY = '/usr/bin/python3';

/** An accepted chip as the chipper and qa-filter leave it: its three files and its clip record. */
async function acceptedChip(dir: string, chipId: string, bbox: BBox, k: number): Promise<void> {
  const scenes = TUL.map((granuleId, t) => ({ granuleId, date: DATES[t]! }));
  const common = { width: n, height: n, geoTransform: [bbox[0], 30, 0, bbox[3], 0, -30] as [number, number, number, number, number, number], epsg: 5070 };
  const bands = Array.from({ length: 18 }, (_, b) => Int16Array.from({ length: n * n }, (_, i) => (b * 31 + i * 7 + k) % 4000));
  await writeGeoTiff(join(dir, 'chips_filtered', `${chipId}_merged.tif`), { ...common, bands, nodata: -9999, gdalMetadata: mergedChipMetadata(scenes) });
  await writeGeoTiff(join(dir, 'chips_filtered', `${chipId}.mask.tif`), { ...common, bands: [Uint8Array.from({ length: n * n }, (_, i) => 1 + ((i + k) % 13))], nodata: 0, colorMap: classPalette() });
  await writeGeoTiff(join(dir, 'chips_fmask', `${chipId}_Fmask.tif`), { ...common, bands: [0, 1, 2].map(() => new Uint8Array(n * n)), nodata: 255, gdalMetadata: fmaskChipMetadata(scenes) });
  const files = { merged: `chips/${chipId}_merged.tif`, mask: `chips/${chipId}.mask.tif`, fmask: `chips_fmask/${chipId}_Fmask.tif` };
  const qa = { validCounts: [n * n, n * n, n * n], badPercents: [0, 0, 0], nodataCount: 0, unmappedCdlPixels: 0 };
  await mkdir(join(dir, '.chip_qa'), { recursive: true });
  await writeFile(join(dir, '.chip_qa', `${chipId}.json`), JSON.stringify({ bbox5070: bbox, scenes, cdlSource: 'cdl.tif', qa, files }));
}

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

describe('dataset STAC catalog', () => {
  let dir = '';
  before(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'dataset-stac-')), 'crops2022');
    for (const [k, [id, b]] of Object.entries(CHIPS).entries()) await acceptedChip(dir, id, b, k);
    // One chip with quick-looks (config quicklooks): they become overview assets of its item.
    await writeQuicklooks(dir, 'chip_100_370', n, Array.from({ length: 18 }, () => new Int16Array(n * n).fill(1000)), new Uint8Array(n * n).fill(3));
    await writeFile(join(dir, 'train_ids.csv'), 'ids\n100_370\n104_374\n');
    await writeFile(join(dir, 'val_ids.csv'), 'ids\n103_370\n');
    await writeFile(
      join(dir, 'global_stats.txt'),
      'min: [228.0, 438.0, 259.0, 155.0, 93.0, 62.0]\nmax: [973.0, 1081.0, 1243.0, 4010.0, 3242.0, 2810.0]\nmean: [544.8, 793.0, 792.7, 2662.4, 2453.9, 1749.6]\nstd: [421.0, 389.0, 472.9, 756.8, 599.7, 637.3]\n',
    );
    await mkdir(join(dir, 'plots'), { recursive: true });
    await writeFile(join(dir, 'plots', 'training_dst.csv'), `chip_id,${CLASS_NAMES.map((_, i) => i).join(',')}\nchip_100_370,0,7344,0,15172,5890,5072,5306,11392,0,0,0,0,0,0\n`);
    const links = `{'B02': 'https://data.lpdaac.earthdatacloud.nasa.gov/lp-prod-protected/HLSS30.020/${TUL[0]}/${TUL[0]}.B02.tif'}`;
    await writeFile(join(dir, 'selected_tiles.csv'), `title_id,tile_id,cloud_cover,spatial_cover,date,http_links,s3_links\n${TUL[0]},T15TUL,4.4,100,2022-03-18,"${links}",{}\n`);
    await writeFile(join(dir, 'tile_payloads.json'), JSON.stringify({ [TUL[0]!]: [{ filename: `${TUL[0]}.B02.tif`, cid: 'bafkreiaq2cn3fiwwi3m2tm3q7rnmcoaywls5oimutoqzav73s2g3zw4yti', band_name: 'B02' }] }));
  });
  after(async () => {
    if (dir) await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('writes a Collection and one Item per accepted chip, valid against the STAC core and every extension schema they list', async () => {
    const config = ConfigSchema.parse({ dataset: { license: 'CC-BY-4.0', citation: 'Crops 2022 chips', title: 'Crops 2022' } });
    const src = sourceCatalogueOf(config);
    const r = await writeDatasetStac(dir, { software: { name: 'hls-crop-chips', version: '0.1.0' }, describe: config.dataset!, sourceCatalogue: src.catalogue!, sourceItemUrl: src.itemUrl! });
    assert.deepEqual(r.skipped, []);
    assert.equal(r.items.length, 3);
    const collection = JSON.parse(await readFile(join(dir, 'stac', 'collection.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(stacProblems(collection), []);
    assert.equal(collection.id, 'crops2022');
    assert.equal(collection.license, 'CC-BY-4.0');
    assert.equal(collection.citation, 'Crops 2022 chips');
    assert.deepEqual(collection['hls:split'], { train: 2, val: 1 });
    assert.deepEqual(
      (collection['hls:classes'] as { name: string }[]).map((c) => c.name),
      CLASS_NAMES,
    );
    const stats = (collection.summaries as Record<string, { name: string; statistics: Record<string, number> }[]>)['raster:bands']!;
    assert.deepEqual(stats[3], { name: 'B8A', data_type: 'int16', statistics: { mean: 2662.4, stddev: 756.8, minimum: 155, maximum: 4010 } });
    for (const id of Object.keys(CHIPS)) {
      const item = JSON.parse(await readFile(join(dir, 'stac', 'items', `${id}.json`), 'utf8')) as StacItem;
      assert.deepEqual(stacProblems(item), [], id);
      assert.ok((collection.links as { rel: string; href: string }[]).some((l) => l.rel === 'item' && l.href === `./items/${id}.json`));
    }
  });

  it('an Item: footprint as GDAL transforms the chip corners, EPSG:5070 grid, checksummed assets, bands, dates, split and sources', async () => {
    const item = JSON.parse(await readFile(join(dir, 'stac', 'items', 'chip_100_370.json'), 'utf8')) as StacItem;
    const b = CHIPS.chip_100_370!;
    const p = item.properties;
    assert.equal(p['proj:epsg'], 5070);
    assert.deepEqual(p['proj:shape'], [224, 224]);
    assert.deepEqual(p['proj:transform'], [30, 0, b[0], 0, -30, b[3]]);
    assert.equal(p.start_datetime, '2022-03-18T16:43:20Z');
    assert.equal(p.end_datetime, '2022-09-21T16:34:51Z');
    assert.equal(p.split, 'train');
    assert.deepEqual(p['hls:granule_ids'], TUL);
    const sources = p['hls:sources'] as { granule_id: string; bands?: Record<string, { href?: string; cid?: string }> }[];
    assert.equal(sources[0]!.bands!.B02!.cid, 'bafkreiaq2cn3fiwwi3m2tm3q7rnmcoaywls5oimutoqzav73s2g3zw4yti');
    assert.match(sources[0]!.bands!.B02!.href!, /lp-prod-protected\/HLSS30\.020\/.*B02\.tif$/);
    const derived = item.links.filter((l) => l.rel === 'derived_from').map((l) => l.href);
    assert.deepEqual(derived, TUL.map((g) => `https://cmr.earthdata.nasa.gov/stac/LPCLOUD/collections/HLSS30_2.0/items/${g}`));
    const overview = (p['label:overviews'] as { counts: { name: string; count: number }[] }[])[0]!.counts;
    assert.deepEqual(overview[3], { name: 'Corn', count: 15172 });

    // Assets: the files they point at, with the file extension's multihash and size.
    for (const [key, rel] of [['merged', 'chips_filtered/chip_100_370_merged.tif'], ['mask', 'chips_filtered/chip_100_370.mask.tif'], ['fmask', 'chips_fmask/chip_100_370_Fmask.tif']] as const) {
      const a = item.assets[key]!;
      assert.equal(a.href, `../../${rel}`);
      assert.ok(existsSync(join(dir, 'stac', 'items', a.href)), a.href);
      const bytes = await readFile(join(dir, rel));
      assert.equal(a['file:checksum'], `1220${await sha256(join(dir, rel))}`);
      assert.equal(a['file:size'], bytes.length);
    }
    assert.deepEqual(
      Object.entries(item.assets).filter(([k]) => k.startsWith('quicklook')).map(([k, a]) => [k, a.href, a.roles]),
      [
        ['quicklook_t1', '../../chips_quicklook/chip_100_370_t1.png', ['thumbnail', 'overview']],
        ['quicklook_t2', '../../chips_quicklook/chip_100_370_t2.png', ['overview']],
        ['quicklook_t3', '../../chips_quicklook/chip_100_370_t3.png', ['overview']],
        ['quicklook_mask', '../../chips_quicklook/chip_100_370_mask.png', ['overview']],
      ],
    );
    const other = JSON.parse(await readFile(join(dir, 'stac', 'items', 'chip_103_370.json'), 'utf8')) as StacItem;
    assert.deepEqual(Object.keys(other.assets), ['merged', 'mask', 'fmask'], 'no quick-looks, no quick-look assets');
    const merged = item.assets.merged!;
    assert.deepEqual(merged['eo:bands']!.map((x) => x.name).slice(0, 7), ['B02_t1', 'B03_t1', 'B04_t1', 'B8A_t1', 'B11_t1', 'B12_t1', 'B02_t2']);
    assert.deepEqual(merged['raster:bands']![17], { data_type: 'int16', nodata: -9999, scale: 0.0001, offset: 0, spatial_resolution: 30 });
    assert.deepEqual(item.assets.mask!['raster:bands'], [{ data_type: 'uint8', nodata: 0, spatial_resolution: 30 }]);

    // The footprint: GDAL's transform of the chip's corners (same order: LL, LR, UR, UL).
    const gdal = spawnSync(
      PY,
      ['-c', 'import json,sys; from rasterio.warp import transform; b=json.loads(sys.argv[1]); xs,ys=transform("EPSG:5070","EPSG:4326",[b[0],b[2],b[2],b[0]],[b[1],b[1],b[3],b[3]]); print(json.dumps(list(zip(xs,ys))))', JSON.stringify(b)],
      { encoding: 'utf8' },
    );
    assert.equal(gdal.status, 0, gdal.stderr);
    const corners = JSON.parse(gdal.stdout) as [number, number][];
    const ring = item.geometry.coordinates[0]!;
    assert.equal(ring.length, 5);
    assert.deepEqual(ring[0], ring[4]);
    for (const [i, c] of corners.entries()) {
      assert.ok(Math.abs(ring[i]![0] - c[0]) < 1e-6 && Math.abs(ring[i]![1] - c[1]) < 1e-6, `corner ${i}: ${ring[i]} vs GDAL ${c}`);
    }
    assert.deepEqual(item.bbox, [Math.min(...corners.map((c) => c[0])), Math.min(...corners.map((c) => c[1])), Math.max(...corners.map((c) => c[0])), Math.max(...corners.map((c) => c[1]))].map((v) => Number(v.toFixed(7))));
  });

  it('the schemas do check: a wrong checksum, a missing label field or an unlisted extension is reported', async () => {
    const item = JSON.parse(await readFile(join(dir, 'stac', 'items', 'chip_103_370.json'), 'utf8')) as StacItem;
    const bad = structuredClone(item);
    bad.assets.merged!['file:checksum'] = 'SHA256:XYZ';
    assert.match(stacProblems(bad).join('\n'), /file\/v2\.1\.0.*file:checksum must match pattern/);
    const noLabel = structuredClone(item);
    delete noLabel.properties['label:type'];
    assert.match(stacProblems(noLabel).join('\n'), /label\/v1\.0\.1.*label:type/);
    const noProj = structuredClone(item);
    noProj.stac_extensions = noProj.stac_extensions.filter((e) => !e.includes('projection'));
    noProj.stac_extensions.push('https://stac-extensions.github.io/projection/v9.9.9/schema.json');
    assert.match(stacProblems(noProj).join('\n'), /v9\.9\.9.*no schema shipped/);
    const core = structuredClone(item) as unknown as Record<string, unknown>;
    delete core.links;
    assert.match(stacProblems(core).join('\n'), /item\.json.*links/);
  });

  it('a granule id carries its sensing instant; the checksum is a sha2-256 multihash', () => {
    assert.equal(granuleInstant('HLS.S30.T15TVG.2022152T170851.v2.0'), '2022-06-01T17:08:51Z');
    assert.equal(sha256Multihash('0'.repeat(64)), `1220${'0'.repeat(64)}`);
    assert.throws(() => sha256Multihash('abc'), /not a SHA-256 hex digest: abc/);
  });

  it("follows the dataset: a chip no longer accepted loses its item, one without a clip record is left out with the reason; none: no stac/", async () => {
    await rm(join(dir, '.chip_qa', 'chip_104_374.json'));
    const r = await writeDatasetStac(dir, { chipIds: ['chip_100_370', 'chip_104_374'], software: { name: 'hls-crop-chips', version: '0.1.0' } });
    assert.deepEqual(r.items.map((i) => i.id), ['chip_100_370']);
    assert.deepEqual(r.skipped, [{ chipId: 'chip_104_374', reason: 'no clip record .chip_qa/chip_104_374.json' }]);
    assert.ok(!existsSync(join(dir, 'stac', 'items', 'chip_103_370.json')));
    assert.ok(!existsSync(join(dir, 'stac', 'items', 'chip_104_374.json')));
    assert.equal(r.collection!.license, 'various');
    assert.ok(!r.collection!.links.some((l) => l.rel === 'via'), 'no source catalogue claimed when none is given');
    const none = await writeDatasetStac(dir, { chipIds: [], software: { name: 'hls-crop-chips', version: '0.1.0' } });
    assert.equal(none.collection, null);
    assert.ok(!existsSync(join(dir, 'stac')));
  });
});
