import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BANDS, CDL_GRID, CLASS_NAMES, HLS, REFLECTANCE_BANDS, reprojectedBandPath, type BBox, type GranuleId } from '@hls/contracts';
import { readRasterWindow, writeGeoTiff } from '@hls/raster';
import { gdalinfo, rasterioView } from '@hls/raster/testing';
import { REAL_FIXTURES } from '@hls/common';
import { CLASS_COLORS } from './colormap.ts';
import { checkChipBox, clipChip, RasterCache } from './clip.ts';
import { decideQa } from './qa.ts';
import { QUICKLOOK_WHITE_DN, quicklookPaths } from './quicklook.ts';
import { loadReclassTable } from './reclass.ts';
import { writeSyntheticTile } from './testing/synthetic.ts';

/** The 224 px box whose top-left pixel is (col, row) of the global CDL grid. */
const chipBoxAt = (col: number, row: number): BBox => {
  const minX = CDL_GRID.x0 + col * 30;
  const maxY = CDL_GRID.y0 - row * 30;
  return [minX, maxY - 6720, minX + 6720, maxY];
};

const RECLASS = `${REAL_FIXTURES}/chips/cdl_total_dst.csv`;
const PAYLOAD_5070 = `${REAL_FIXTURES}/chips/midwest_crops_chip_payload_5070.geojson`;

function py(script: string, args: string[]): string {
  if (!existsSync('/usr/bin/python3')) throw new Error('/usr/bin/python3 is missing: apt-get install -y gdal-bin python3-rasterio');
  const r = spawnSync('/usr/bin/python3', ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed (apt-get install -y gdal-bin python3-rasterio if rasterio is missing): ${r.stderr}`);
  return r.stdout;
}

describe('checkChipBox', () => {
  it('accepts every real chip of the 5070 payload and rejects off-grid or wrong-size boxes', () => {
    const fc = JSON.parse(readFileSync(PAYLOAD_5070, 'utf8')) as { features: { properties: { id: string }; geometry: { coordinates: number[][][][] } }[] };
    assert.equal(fc.features.length, 1751);
    for (const f of fc.features) {
      const ring = f.geometry.coordinates[0]![0]!;
      const xs = ring.map((p) => p[0]!);
      const ys = ring.map((p) => p[1]!);
      const c = checkChipBox([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]);
      assert.ok(c.ok, f.properties.id);
      // The id is chip_<row>_<col> on the 224 px lattice from the CDL origin.
      const [, row, col] = f.properties.id.split('_').map(Number);
      if (c.ok) assert.deepEqual([c.row / 224, c.col / 224], [row, col], f.properties.id);
    }
    const good: BBox = [-151935, 2594685, -145215, 2601405];
    const shifted = checkChipBox([good[0] + 15, good[1], good[2] + 15, good[3]]);
    assert.equal(shifted.ok, false);
    assert.match(shifted.ok ? '' : shifted.detail, /off the CDL grid/);
    const big = checkChipBox([good[0], good[1], good[2] + 30, good[3]]);
    assert.match(big.ok ? '' : big.detail, /225\.000 x 224\.000 px/);
  });
});

// A synthetic tile on the CDL grid: 3 granules x 7 bands of 300 x 280 px, and a CDL raster.
const W = 300;
const H = 280;
const COL0 = 8000; // raster origin, in CDL grid pixels
const ROW0 = 19000;
const GT: [number, number, number, number, number, number] = [CDL_GRID.x0 + COL0 * 30, 30, 0, CDL_GRID.y0 - ROW0 * 30, 0, -30];
const GRANULES = ['HLS.S30.T15TVG.2022244T170851.v2.0', 'HLS.S30.T15TVG.2022091T170851.v2.0', 'HLS.S30.T15TVG.2022152T170851.v2.0'] as GranuleId[];
const DATES = ['2022-09-01', '2022-04-01', '2022-06-01'];
const refl = (d: number, b: number, x: number, y: number) => (x === 40 && y === 50 ? -7 : 100 * (d * 6 + b) + ((x * 7 + y * 3) % 90));

const CDL_CODES = [1, 5, 152, 176, 0, 111, 24, 254];
const chipBox = (dc: number, dr: number): BBox => {
  const minX = GT[0] + dc * 30;
  const maxY = GT[3] - dr * 30;
  return [minX, maxY - 6720, minX + 6720, maxY];
};

describe('clipChip on synthetic reprojected bands', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clip-'));
    for (const [gi, g] of GRANULES.entries()) {
      const d = [2, 0, 1][gi]!; // date rank of this granule
      for (const band of BANDS) {
        const path = join(dir, reprojectedBandPath(g, band));
        if (band === 'Fmask') {
          const a = new Uint8Array(W * H).fill(64);
          // date 2 (rank 1) gets a cloud patch of 30 x 10 px inside the chip at (20, 30).
          if (d === 1) for (let y = 40; y < 50; y++) for (let x = 30; x < 60; x++) a[y * W + x] = 2;
          await writeGeoTiff(path, { width: W, height: H, bands: [a], geoTransform: GT, epsg: 5070, nodata: 255 });
        } else {
          const b = REFLECTANCE_BANDS.indexOf(band);
          const a = new Int16Array(W * H);
          for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) a[y * W + x] = refl(d, b, x, y);
          // nodata only outside the first chip, inside the second
          a[270 * W + 290] = HLS.reflectanceNodata;
          await writeGeoTiff(path, { width: W, height: H, bands: [a], geoTransform: GT, epsg: 5070, nodata: HLS.reflectanceNodata, tiled: true, blockSize: 64 });
        }
      }
    }
    const cdl = new Uint8Array(W * H);
    for (let i = 0; i < cdl.length; i++) cdl[i] = CDL_CODES[(i >> 3) % CDL_CODES.length]!;
    await writeGeoTiff(join(dir, 'cdl.tif'), { width: W, height: H, bands: [cdl], geoTransform: GT, epsg: 5070, nodata: 0 });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes merged / Fmask / mask chips equal to rasterio.mask.mask(crop=True) of the same files', async () => {
    const reclass = await loadReclassTable(RECLASS);
    const scenes = GRANULES.map((g, i) => ({ granuleId: g, date: DATES[i]! }));
    const bbox = chipBox(20, 30);
    const r = await clipChip({ chipId: 'chip_001_002', bbox5070: bbox, scenes }, { datasetDir: dir, cdlSource: join(dir, 'cdl.tif'), reclass });
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.deepEqual(r.scenes.map((s) => s.date), ['2022-04-01', '2022-06-01', '2022-09-01']);
    assert.deepEqual(r.files, { merged: 'chips/chip_001_002_merged.tif', mask: 'chips/chip_001_002.mask.tif', fmask: 'chips_fmask/chip_001_002_Fmask.tif' });
    // QA: 300 cloud px in date 2; no nodata; the -7 pixel is not nodata; CDL 0 and 254 (absent) counted.
    assert.deepEqual(r.qa.validCounts, [50176, 50176 - 300, 50176]);
    assert.equal(r.qa.badPercents[1], (100 * 300) / 50176);
    assert.equal(r.qa.nodataCount, 0);
    let unmapped = 0;
    for (let y = 30; y < 254; y++) for (let x = 20; x < 244; x++) if (reclass[CDL_CODES[((y * W + x) >> 3) % CDL_CODES.length]!]! < 0) unmapped++;
    assert.ok(unmapped > 0);
    assert.equal(r.qa.unmappedCdlPixels, unmapped);
    assert.equal(decideQa(r.qa).accepted, true);

    // Known values: merged band k = date-major, and the -7 pixel (x 40, y 50 -> chip 20, 20) is clipped to 0.
    const merged = await readRasterWindow(join(dir, r.files.merged));
    assert.equal(merged.bands.length, 18);
    assert.equal(merged.dtype, 'int16');
    assert.equal(merged.bands[7]![5 * 224 + 3], refl(1, 1, 23, 35));
    assert.equal(merged.bands[0]![20 * 224 + 20], 0);

    const oracle = JSON.parse(
      py(
        `
import sys, json, numpy as np, rasterio, rasterio.mask
d, minx, miny, maxx, maxy = sys.argv[1], *map(float, sys.argv[2:6])
granules = sys.argv[6:]
shape = [{'type': 'Polygon', 'coordinates': [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]]}]
def clip(p):
    with rasterio.open(p) as src:
        out, tr = rasterio.mask.mask(src, shape, crop=True)
    return out[0], tr
bands, qa = [], []
for g in granules:
    for b in ['B02', 'B03', 'B04', 'B8A', 'B11', 'B12']:
        bands.append(clip(f'{d}/tiles_reprojected/{g}.{b}.tif')[0])
    qa.append(clip(f'{d}/tiles_reprojected/{g}.Fmask.tif')[0])
ref = np.clip(np.array(bands), 0, None)
cdl_dict = {}
import csv
for row in csv.DictReader(open('${RECLASS}')):
    cdl_dict[int(row['old_class_value'])] = int(row['new_class_value'])
cdl, tr = clip(f'{d}/cdl.tif')
mask_ref = np.vectorize(lambda v: cdl_dict.get(int(v), 0))(cdl).astype('uint8')
with rasterio.open(f'{d}/chips/chip_001_002_merged.tif') as m:
    ours = m.read(); mt = list(m.transform.to_gdal()); mcrs = m.crs.to_epsg(); mdt = m.dtypes[0]
with rasterio.open(f'{d}/chips_fmask/chip_001_002_Fmask.tif') as f:
    fm = f.read(); fdt = f.dtypes[0]
with rasterio.open(f'{d}/chips/chip_001_002.mask.tif') as k:
    mk = k.read(); cmap = k.colormap(1)
print(json.dumps(dict(
    merged_equal=bool(np.array_equal(ref, ours)), shape=list(ours.shape), transform=mt, ref_transform=list(tr.to_gdal()), epsg=mcrs, dtype=mdt,
    fmask_equal=bool(np.array_equal(np.array(qa), fm)), fmask_dtype=fdt, fmask_count=int(fm.shape[0]),
    mask_equal=bool(np.array_equal(mask_ref, mk[0])), color3=list(cmap[3]), color13=list(cmap[13]))))
`,
        [dir, ...bbox.map(String), ...[GRANULES[1]!, GRANULES[2]!, GRANULES[0]!]],
      ),
    ) as Record<string, unknown>;
    assert.equal(oracle.merged_equal, true, 'merged chip equals rasterio.mask.mask stacked by date');
    assert.deepEqual(oracle.shape, [18, 224, 224]);
    assert.deepEqual(oracle.transform, oracle.ref_transform);
    assert.equal(oracle.epsg, 5070);
    assert.equal(oracle.dtype, 'int16');
    assert.equal(oracle.fmask_equal, true);
    assert.equal(oracle.fmask_dtype, 'uint8');
    assert.equal(oracle.fmask_count, 3);
    assert.equal(oracle.mask_equal, true, 'mask equals the reclassed CDL window');
    assert.deepEqual(oracle.color3, [...CLASS_COLORS[3]!, 255]);
    assert.deepEqual(oracle.color13, [...CLASS_COLORS[13]!, 255]);
  });

  it('chips carry what training code reads: band descriptions, scale/offset, acquisition dates, nodata (GDAL and rasterio)', async () => {
    const reclass = await loadReclassTable(RECLASS);
    const scenes = GRANULES.map((g, i) => ({ granuleId: g, date: DATES[i]! }));
    const r = await clipChip({ chipId: 'chip_meta', bbox5070: chipBox(20, 30), scenes }, { datasetDir: dir, cdlSource: join(dir, 'cdl.tif'), reclass });
    assert.ok(r.ok);
    if (!r.ok) return;
    const dates = ['2022-04-01', '2022-06-01', '2022-09-01'];
    const names = dates.flatMap((_, t) => REFLECTANCE_BANDS.map((b) => `${b}_t${t + 1}`));
    assert.equal(names[0], 'B02_t1');
    assert.equal(names[17], 'B12_t3');
    const merged = rasterioView(join(dir, r.files.merged));
    assert.deepEqual(merged.descriptions, names);
    assert.deepEqual(merged.scales, names.map(() => 0.0001));
    assert.deepEqual(merged.offsets, names.map(() => 0));
    assert.equal(merged.tags.ACQUISITION_DATES, dates.join(','));
    assert.equal(merged.tags.HLS_GRANULES, [GRANULES[1], GRANULES[2], GRANULES[0]].join(','));
    assert.deepEqual(merged.bandTags.map((t) => t.ACQUISITION_DATE), dates.flatMap((d) => REFLECTANCE_BANDS.map(() => d)));
    const gi = gdalinfo(join(dir, r.files.merged));
    assert.equal(gi.metadata?.['']?.ACQUISITION_DATES, dates.join(','));
    assert.deepEqual(gi.bands.map((b) => [b.description, b.scale, b.offset]), names.map((n) => [n, 0.0001, 0]));
    // A small COG: 128 px internal tiles, one 112 px overview, the COG layout GDAL recognises.
    assert.equal(gi.metadata?.IMAGE_STRUCTURE?.LAYOUT, 'COG');
    for (const b of gi.bands) {
      assert.deepEqual(b.block, [128, 128]);
      assert.deepEqual(b.overviews?.map((v) => v.size), [[112, 112]]);
    }

    const fmask = rasterioView(join(dir, r.files.fmask));
    assert.deepEqual(fmask.descriptions, ['Fmask_t1', 'Fmask_t2', 'Fmask_t3']);
    assert.deepEqual(fmask.nodatavals, [255, 255, 255]);
    assert.equal(fmask.tags.ACQUISITION_DATES, dates.join(','));
    const mask = rasterioView(join(dir, r.files.mask));
    assert.equal(mask.nodata, 0);
    const maskInfo = gdalinfo(join(dir, r.files.mask)).bands[0]!;
    assert.equal(maskInfo.noDataValue, 0);
    // The class names beside the colour map: band items CLASS_<value>, read by GDAL and rasterio alike.
    assert.equal(maskInfo.description, 'crop_class');
    assert.deepEqual(
      Object.entries(maskInfo.metadata?.[''] ?? {}).sort((a, b) => Number(a[0].slice(6)) - Number(b[0].slice(6))),
      CLASS_NAMES.map((n, v) => [`CLASS_${v}`, n]),
    );
    assert.equal(mask.bandTags[0]?.CLASS_3, 'Corn');
    assert.deepEqual(mask.colormap?.['3'], [...CLASS_COLORS[3]!, 255]);
    // Same pixels as the chip clipped in the test above: only metadata was added.
    for (const f of ['merged', 'fmask', 'mask'] as const) {
      const a = await readRasterWindow(join(dir, r.files[f]));
      const b = await readRasterWindow(join(dir, r.files[f].replace('chip_meta', 'chip_001_002')));
      assert.deepEqual(a.bands, b.bands, f);
    }
  });

  it('quick-looks: true colour per date and the mask in class colours, as GDAL decodes the PNGs', async () => {
    const reclass = await loadReclassTable(RECLASS);
    const scenes = GRANULES.map((g, i) => ({ granuleId: g, date: DATES[i]! }));
    const r = await clipChip({ chipId: 'chip_look', bbox5070: chipBox(20, 30), scenes }, { datasetDir: dir, cdlSource: join(dir, 'cdl.tif'), reclass, quicklooks: true });
    assert.ok(r.ok);
    if (!r.ok) return;
    const looks = quicklookPaths('chip_look');
    assert.deepEqual(looks, { dates: [1, 2, 3].map((t) => `chips_quicklook/chip_look_t${t}.png`), mask: 'chips_quicklook/chip_look_mask.png' });
    const merged = await readRasterWindow(join(dir, r.files.merged));
    const mask = await readRasterWindow(join(dir, r.files.mask));
    const byte = (dn: number) => (dn <= 0 ? 0 : dn >= QUICKLOOK_WHITE_DN ? 255 : Math.round((dn * 255) / QUICKLOOK_WHITE_DN));
    // GDAL's PNG driver decodes each file; its SHA-256 per band is compared with the expected bytes.
    const decoded = JSON.parse(
      py(
        'import json,sys,hashlib,rasterio\nout=[]\nfor f in sys.argv[1:]:\n  with rasterio.open(f) as s:\n    a=s.read()\n    out.append([s.driver,s.count,s.width,s.height,[hashlib.sha256(a[i].tobytes()).hexdigest() for i in range(s.count)]])\nprint(json.dumps(out))',
        [...looks.dates, looks.mask].map((f) => join(dir, f)),
      ),
    ) as [string, number, number, number, string[]][];
    const sha = (a: Uint8Array) => createHash('sha256').update(a).digest('hex');
    const channel = (band: ArrayLike<number>) => Uint8Array.from(band as ArrayLike<number>, (v) => byte(v));
    for (let t = 0; t < 3; t++) {
      const [driver, count, w, h, shas] = decoded[t]!;
      assert.deepEqual([driver, count, w, h], ['PNG', 3, 224, 224]);
      // R G B = B04 B03 B02 of date t.
      assert.deepEqual(shas, [2, 1, 0].map((b) => sha(channel(merged.bands[t * 6 + b]!))), `date ${t + 1}`);
    }
    const m = mask.bands[0]!;
    const [, , , , maskShas] = decoded[3]!;
    assert.deepEqual(maskShas, [0, 1, 2].map((c) => sha(Uint8Array.from(m as ArrayLike<number>, (v) => CLASS_COLORS[v]![c]!))));
  });

  it('a chip reaching past the rasters is filled with nodata and fails QA with nodata; a bad box is rejected', async () => {
    const reclass = await loadReclassTable(RECLASS);
    const scenes = GRANULES.map((g, i) => ({ granuleId: g, date: DATES[i]! }));
    const cache = new RasterCache();
    try {
      const r = await clipChip({ chipId: 'chip_edge', bbox5070: chipBox(200, 100), scenes }, { datasetDir: dir, cdlSource: join(dir, 'cdl.tif'), reclass, cache });
      assert.ok(r.ok);
      if (r.ok) {
        // Chip cols 200..423, rows 100..323: only 100 x 180 px lie inside the 300 x 280 rasters; the rest of
        // each of the 18 bands and 3 Fmask bands is nodata, plus the one -9999 pixel (290, 270) per band.
        const outside = 224 * 224 - 100 * 180;
        assert.equal(r.qa.nodataCount, 21 * outside + 18);
        const d = decideQa(r.qa);
        assert.equal(d.accepted, false);
      }
      const bad = await clipChip({ chipId: 'chip_bad', bbox5070: [0, 0, 6000, 6720], scenes }, { datasetDir: dir, cdlSource: join(dir, 'cdl.tif'), reclass, cache });
      assert.equal(bad.ok, false);
      assert.equal(!bad.ok && bad.reason, 'bad-box');
      await assert.rejects(
        clipChip({ chipId: 'chip_x', bbox5070: chipBox(0, 0), scenes: [...scenes.slice(0, 2), { granuleId: 'HLS.S30.T15TVG.2022200T170851.v2.0', date: '2022-07-19' }] }, { datasetDir: dir, cdlSource: join(dir, 'cdl.tif'), reclass, cache }),
        /HLS\.S30\.T15TVG\.2022200T170851\.v2\.0\.B02\.tif/,
      );
    } finally {
      await cache.close();
    }
  });
});

describe('clipChip reading the CDL as a COG over HTTP', () => {
  let dir = '';
  let server: Server;
  let served = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clip-http-'));
    const tile = await writeSyntheticTile(dir, { col0: 4480, row0: 8960, width: 240, height: 240 });
    // A 2000 x 2000 noisy CDL (barely compressible), tiled 256: the chip needs a few tiles of it.
    const n = 2000;
    let seed = 7;
    const codes = [1, 5, 24, 111, 152, 176, 0];
    const cdl = Uint8Array.from({ length: n * n }, () => codes[(seed = (seed * 1103515245 + 12345) >>> 0) % codes.length]!);
    await writeGeoTiff(join(dir, 'big-cdl.tif'), { width: n, height: n, bands: [cdl], geoTransform: tile.geoTransform, epsg: 5070, tiled: true, blockSize: 256 });
    const bytes = readFileSync(join(dir, 'big-cdl.tif'));
    server = createServer((req, res) => {
      const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
      if (!m) {
        served += bytes.length;
        res.writeHead(200, { 'content-length': bytes.length, 'accept-ranges': 'bytes' }).end(bytes);
        return;
      }
      const start = Number(m[1]);
      const end = Math.min(m[2] ? Number(m[2]) : bytes.length - 1, bytes.length - 1);
      served += end - start + 1;
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${bytes.length}`, 'content-length': end - start + 1, 'accept-ranges': 'bytes' }).end(bytes.subarray(start, end + 1));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('reads only the chip window (a fraction of the file) and gives the same mask as the local file', async () => {
    const reclass = await loadReclassTable(RECLASS);
    const scenes = ['HLS.S30.T15TVG.2022091T170851.v2.0', 'HLS.S30.T15TVG.2022152T170851.v2.0', 'HLS.S30.T15TVG.2022244T170851.v2.0'].map((g, i) => ({ granuleId: g, date: ['2022-04-01', '2022-06-01', '2022-09-01'][i]! }));
    const port = (server.address() as AddressInfo).port;
    const box = chipBoxAt(4480 + 5, 8960 + 7);
    const http = await clipChip({ chipId: 'chip_http', bbox5070: box, scenes }, { datasetDir: dir, cdlSource: `http://127.0.0.1:${port}/big-cdl.tif`, reclass });
    const local = await clipChip({ chipId: 'chip_local', bbox5070: box, scenes }, { datasetDir: dir, cdlSource: join(dir, 'big-cdl.tif'), reclass });
    assert.ok(http.ok && local.ok);
    const a = await readRasterWindow(join(dir, 'chips', 'chip_http.mask.tif'));
    const b = await readRasterWindow(join(dir, 'chips', 'chip_local.mask.tif'));
    assert.deepEqual(a.bands[0], b.bands[0]);
    const size = statSync(join(dir, 'big-cdl.tif')).size;
    assert.ok(served > 0 && served < size / 4, `served ${served} of ${size} bytes`);
    // A second clip of the same inputs with reuse reads and writes nothing.
    const before = served;
    const again = await clipChip({ chipId: 'chip_http', bbox5070: box, scenes }, { datasetDir: dir, cdlSource: `http://127.0.0.1:${port}/big-cdl.tif`, reclass, reuse: true });
    assert.ok(again.ok && again.reused);
    assert.equal(served, before);
    assert.deepEqual(again.ok && again.qa, http.ok && http.qa);
  });
});
