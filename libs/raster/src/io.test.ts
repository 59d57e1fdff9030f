import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { encodeGeoTiff, openRaster, readRasterInfo, readRasterWindow, writeGeoTiff } from './index.ts';
import type { GeoTransform, TypedArray } from './index.ts';
import { fmaskBand, reflectanceBand, sha256 } from './testing/fixtures.ts';
import { gdalReadBands, gdalinfo, rasterioView, run, validateCog } from './testing/gdal.ts';

const dir = mkdtempSync(join(tmpdir(), 'raster-io-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const UTM_GT: GeoTransform = [399960, 30, 0, 4800000, 0, -30];
const CDL_GT: GeoTransform = [-2356095 + 30 * 10000, 30, 0, 3172605 - 30 * 20000, 0, -30];

function epsgOf(info: ReturnType<typeof gdalinfo>): number {
  const m = /ID\["EPSG",(\d+)\]\]\s*$/.exec(info.coordinateSystem?.wkt ?? '');
  return m ? Number(m[1]) : NaN;
}

function bytesOf(a: TypedArray): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

describe('writeGeoTiff', () => {
  test('tiled Int16, 3 bands, DEFLATE+predictor, UTM: geotiff.js, gdalinfo and rasterio read identical pixels and georeferencing', async () => {
    const [w, h] = [700, 650];
    const bands = [reflectanceBand(w, h, 1), reflectanceBand(w, h, 2), reflectanceBand(w, h, 3)];
    const path = join(dir, 'tiled.tif');
    await writeGeoTiff(path, { width: w, height: h, bands, geoTransform: UTM_GT, epsg: 32615, nodata: -9999, tiled: true, blockSize: 256 });
    const back = await readRasterWindow(path);
    assert.equal(back.dtype, 'int16');
    assert.deepEqual([back.width, back.height, back.epsg, back.nodata], [w, h, 32615, -9999]);
    assert.deepEqual(back.geoTransform, UTM_GT);
    back.bands.forEach((b, i) => assert.equal(sha256(b), sha256(bands[i]!), `band ${i + 1}`));

    const gi = gdalinfo(path);
    assert.deepEqual(gi.size, [w, h]);
    assert.deepEqual(gi.geoTransform, UTM_GT);
    assert.equal(epsgOf(gi), 32615);
    assert.equal(gi.bands.length, 3);
    for (const b of gi.bands) {
      assert.equal(b.type, 'Int16');
      assert.equal(b.noDataValue, -9999);
      assert.deepEqual(b.block, [256, 256]);
    }
    const gdalBands = gdalReadBands(path, dir, 3, w * h * 2);
    gdalBands.forEach((b, i) => assert.ok(b.equals(bytesOf(bands[i]!)), `GDAL pixels of band ${i + 1}`));

    const rio = rasterioView(path);
    assert.equal(rio.epsg, 32615);
    assert.deepEqual(rio.transform, UTM_GT);
    assert.equal(rio.nodata, -9999);
    assert.deepEqual(rio.sha256, bands.map((b) => sha256(b)));
  });

  test('striped 18-band Int16 chip, pixel and band interleave, EPSG:5070', async () => {
    const n = 224;
    const bands = Array.from({ length: 18 }, (_, i) => reflectanceBand(n, n, 10 + i));
    for (const interleave of ['pixel', 'band'] as const) {
      const path = join(dir, `chip-${interleave}.tif`);
      await writeGeoTiff(path, { width: n, height: n, bands, geoTransform: CDL_GT, epsg: 5070, nodata: -9999, interleave });
      const info = await readRasterInfo(path);
      assert.equal(info.tiled, false);
      assert.equal(info.bandCount, 18);
      const back = await readRasterWindow(path, { x: 10, y: 20, width: 50, height: 40 }, { bands: [0, 17] });
      assert.equal(back.bands.length, 2);
      for (let y = 0; y < 40; y++) {
        for (let x = 0; x < 50; x++) {
          assert.equal(back.bands[0]![y * 50 + x], bands[0]![(y + 20) * n + x + 10]);
          assert.equal(back.bands[1]![y * 50 + x], bands[17]![(y + 20) * n + x + 10]);
        }
      }
      assert.deepEqual(back.geoTransform, [CDL_GT[0] + 300, 30, 0, CDL_GT[3] - 600, 0, -30]);
      const gi = gdalinfo(path);
      assert.equal(epsgOf(gi), 5070);
      assert.deepEqual(gi.geoTransform, CDL_GT);
      const rio = rasterioView(path);
      assert.equal(rio.epsg, 5070);
      assert.deepEqual(rio.sha256, bands.map((b) => sha256(b)));
    }
  });

  test('UInt8 class mask with a colour map; Float32 band', async () => {
    const n = 224;
    const mask = new Uint8Array(n * n).map((_, i) => (i * 7) % 14);
    const colorMap: [number, number, number][] = Array.from({ length: 14 }, (_, i) => [i * 18, 255 - i * 18, (i * 40) % 256]);
    const path = join(dir, 'mask.tif');
    await writeGeoTiff(path, { width: n, height: n, bands: [mask], geoTransform: CDL_GT, epsg: 5070, nodata: 0, colorMap });
    const gi = gdalinfo(path);
    const entries = gi.bands[0]!.colorTable!.entries;
    for (let i = 0; i < 14; i++) assert.deepEqual(entries[i]!.slice(0, 3), colorMap[i]);
    assert.equal(gi.bands[0]!.noDataValue, 0);
    const rio = rasterioView(path);
    assert.deepEqual(rio.colormap!['3']!.slice(0, 3), colorMap[3]);
    assert.deepEqual(rio.sha256, [sha256(mask)]);

    const f = new Float32Array(300 * 200).map((_, i) => Math.sin(i) * 1e3);
    const fpath = join(dir, 'float.tif');
    await writeGeoTiff(fpath, { width: 300, height: 200, bands: [f], geoTransform: UTM_GT, epsg: 32613, nodata: -1e30 });
    const back = await readRasterWindow(fpath);
    assert.equal(back.dtype, 'float32');
    assert.equal(sha256(back.bands[0]!), sha256(f));
    assert.deepEqual(rasterioView(fpath).sha256, [sha256(f)]);
    assert.equal(rasterioView(fpath).nodata, Math.fround(-1e30)); // rasterio reports nodata in the band type
  });

  test('COG with overviews: IFDs first, overviews seen by GDAL, full resolution intact', async () => {
    const [w, h] = [1100, 900];
    const band = reflectanceBand(w, h, 5);
    const path = join(dir, 'cog.tif');
    await writeGeoTiff(path, { width: w, height: h, bands: [band], geoTransform: UTM_GT, epsg: 32617, nodata: -9999, overviews: true, blockSize: 256 });
    const gi = gdalinfo(path);
    assert.equal(gi.bands[0]!.overviews!.length, 3); // 550, 275, 138
    const info = await readRasterInfo(path);
    assert.equal(info.overviewCount, 3);
    // All IFDs sit before the first tile of data.
    const buf = readFileSync(path);
    let ifd = buf.readUInt32LE(4);
    let lastIfdEnd = 0;
    const firstData = Math.min(...(await ifdTileOffsets(path)));
    while (ifd !== 0) {
      const count = buf.readUInt16LE(ifd);
      lastIfdEnd = ifd + 2 + 12 * count + 4;
      ifd = buf.readUInt32LE(ifd + 2 + 12 * count);
    }
    assert.ok(lastIfdEnd <= firstData, `IFDs end at ${lastIfdEnd}, data starts at ${firstData}`);
    assert.deepEqual(rasterioView(path).sha256, [sha256(band)]);
  });

  test('overviews average the 2 x 2 pixels that are not nodata, on odd sizes and edges too; every integer type reads back through GDAL', async () => {
    // Reference: GDAL-style nodata-aware average of each 2 x 2 (cut at the edges), rounded; nodata where all are nodata.
    const halve = (src: Int16Array, w: number, h: number, nodata: number | null): Int16Array => {
      const [ow, oh] = [Math.ceil(w / 2), Math.ceil(h / 2)];
      const out = new Int16Array(ow * oh);
      for (let y = 0; y < oh; y++) {
        for (let x = 0; x < ow; x++) {
          const vs: number[] = [];
          for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
            const [sx, sy] = [2 * x + dx, 2 * y + dy];
            if (sx < w && sy < h && src[sy * w + sx] !== nodata) vs.push(src[sy * w + sx]!);
          }
          out[y * ow + x] = vs.length === 0 ? (nodata ?? 0) : Math.round(vs.reduce((a, b) => a + b, 0) / vs.length);
        }
      }
      return out;
    };
    const [w, h] = [301, 203];
    const band = reflectanceBand(w, h, 11);
    for (let i = 0; i < band.length; i += 7) band[i] = -9999; // scattered nodata: 2 x 2 cells with 1-4 valid pixels
    for (const nodata of [-9999, null]) {
      const path = join(dir, `ovr-${nodata}.tif`);
      await writeGeoTiff(path, { width: w, height: h, bands: [band], geoTransform: UTM_GT, epsg: 32615, nodata, overviews: true, tiled: true, blockSize: 128 });
      const [ow, oh] = [Math.ceil(w / 2), Math.ceil(h / 2)];
      const ovr = join(dir, `ovr-${nodata}-0.tif`);
      run('gdal_translate', ['-q', '-ovr', '0', path, ovr]);
      const [got] = gdalReadBands(ovr, dir, 1, ow * oh * 2);
      assert.equal(sha256(got!), sha256(halve(band, w, h, nodata)), `overview of nodata ${nodata}`);
      assert.equal(sha256(gdalReadBands(path, dir, 1, w * h * 2)[0]!), sha256(band));
    }
    // Unsigned types with the predictor, cut at the image's edge: GDAL reads the same values back.
    const u16 = Uint16Array.from(band, (v) => (v + 20000) & 0xffff);
    const u8 = Uint8Array.from(band, (v) => v & 0xff);
    for (const [name, data, bytes] of [['u16', u16, 2], ['u8', u8, 1]] as const) {
      const path = join(dir, `edge-${name}.tif`);
      await writeGeoTiff(path, { width: w, height: h, bands: [data], geoTransform: UTM_GT, epsg: 32615, tiled: true, blockSize: 128 });
      assert.equal(sha256(gdalReadBands(path, dir, 1, w * h * bytes)[0]!), sha256(data), name);
      assert.equal(sha256((await readRasterWindow(path)).bands[0]!), sha256(data), name);
    }
  });

  test('COG layout as GDAL writes it (ghost header, block leaders and trailers): GDAL says LAYOUT=COG and its validator finds nothing', async () => {
    const [w, h] = [700, 600];
    const band = reflectanceBand(w, h, 6);
    const fmask = fmaskBand(w, h, 7, band);
    const path = join(dir, 'cog-layout.tif');
    const fpath = join(dir, 'cog-layout-fmask.tif');
    await writeGeoTiff(path, { width: w, height: h, bands: [band], geoTransform: UTM_GT, epsg: 32615, nodata: -9999, overviews: true, cog: true, tiled: true, blockSize: 256 });
    await writeGeoTiff(fpath, { width: w, height: h, bands: [fmask], geoTransform: UTM_GT, epsg: 32615, nodata: 255, overviews: true, overviewResampling: 'nearest', cog: true, tiled: true, blockSize: 256 });
    for (const [p, data] of [[path, band], [fpath, fmask]] as const) {
      const gi = gdalinfo(p);
      assert.equal(gi.metadata?.IMAGE_STRUCTURE?.LAYOUT, 'COG', p);
      assert.equal(gi.bands[0]!.overviews!.length, 2);
      assert.deepEqual(validateCog(p), [], p);
      assert.deepEqual(rasterioView(p).sha256, [sha256(data)]);
      assert.equal(sha256((await readRasterWindow(p)).bands[0]!), sha256(data));
    }
    await assert.rejects(writeGeoTiff(join(dir, 'x.tif'), { width: 10, height: 10, bands: [new Int16Array(100)], geoTransform: UTM_GT, epsg: 32615, cog: true }), /COG layout needs a tiled image/);
  });

  test('an image made one block row at a time (fillRows, a block row per band in memory) is the file the whole image makes', async () => {
    const [w, h] = [300, 200];
    const bands = [reflectanceBand(w, h, 11), reflectanceBand(w, h, 12)];
    const o = { width: w, height: h, geoTransform: UTM_GT, epsg: 32615, nodata: -9999, tiled: true, blockSize: 64 };
    const whole = await encodeGeoTiff({ ...o, bands });
    const rows = bands.map(() => new Int16Array(w * 64));
    const asked: string[] = [];
    const byRows = await encodeGeoTiff({
      ...o,
      bands: rows,
      fillRows: (b, y0, y1) => {
        asked.push(`${b}:${y0}-${y1}`);
        rows[b]!.set(bands[b]!.subarray(y0 * w, y1 * w));
      },
    });
    assert.ok(byRows.equals(whole));
    assert.deepEqual(asked, ['0:0-64', '0:64-128', '0:128-192', '0:192-200', '1:0-64', '1:64-128', '1:128-192', '1:192-200']);
    await assert.rejects(encodeGeoTiff({ ...o, bands, fillRows: () => {} }), /band 1 has 60000 values, expected 300x64=19200/);
    await assert.rejects(encodeGeoTiff({ ...o, bands: rows, overviews: true, fillRows: () => {} }), /need a tiled image without overviews/);
  });

  test('a file of more blocks than one write takes (4,300 pieces with the COG leaders and trailers) is written whole: the bytes encodeGeoTiff gives, valid for GDAL', async () => {
    const [w, h] = [600, 600];
    const band = reflectanceBand(w, h, 8);
    const o = { width: w, height: h, bands: [band], geoTransform: UTM_GT, epsg: 32615, nodata: -9999, overviews: true, cog: true, tiled: true, blockSize: 16 };
    const path = join(dir, 'many-blocks.tif');
    await writeGeoTiff(path, o);
    assert.ok(readFileSync(path).equals(await encodeGeoTiff(o)));
    assert.deepEqual(validateCog(path), [], path);
    assert.deepEqual(rasterioView(path).sha256, [sha256(band)]);
  });
});

async function ifdTileOffsets(path: string): Promise<number[]> {
  const r = await openRaster(path);
  await r.close();
  // Tile offsets of every image from the raw file: TileOffsets tag 324.
  const buf = readFileSync(path);
  const out: number[] = [];
  for (let ifd = buf.readUInt32LE(4); ifd !== 0; ) {
    const count = buf.readUInt16LE(ifd);
    for (let i = 0; i < count; i++) {
      const e = ifd + 2 + 12 * i;
      if (buf.readUInt16LE(e) !== 324) continue;
      const n = buf.readUInt32LE(e + 4);
      const at = n > 1 ? buf.readUInt32LE(e + 8) : e + 8;
      for (let k = 0; k < n; k++) out.push(buf.readUInt32LE(at + 4 * k));
    }
    ifd = buf.readUInt32LE(ifd + 2 + 12 * count);
  }
  return out;
}

describe('readRasterWindow', () => {
  const [w, h] = [600, 520];
  const band = reflectanceBand(w, h, 42);
  const src = join(dir, 'plain.tif');

  test('GDAL COGs (DEFLATE+predictor, LZW), scale/offset, and a window', async () => {
    await writeGeoTiff(src, { width: w, height: h, bands: [band], geoTransform: UTM_GT, epsg: 32613, nodata: -9999, compress: 'none' });
    for (const co of [['COMPRESS=DEFLATE', 'PREDICTOR=2'], ['COMPRESS=LZW', 'PREDICTOR=2'], ['COMPRESS=LZW']]) {
      const cog = join(dir, `gdal-${co.join('-')}.tif`);
      run('gdal_translate', ['-q', '-of', 'COG', ...co.flatMap((c) => ['-co', c]), '-co', 'BLOCKSIZE=256', '-a_scale', '0.0001', '-a_offset', '0', src, cog]);
      const r = await openRaster(cog);
      assert.equal(r.epsg, 32613);
      assert.equal(r.nodata, -9999);
      assert.deepEqual(r.geoTransform, UTM_GT);
      assert.deepEqual(r.scale, [0.0001]);
      assert.deepEqual(r.offset, [0]);
      const full = await r.read();
      assert.equal(sha256(full.bands[0]!), sha256(band), co.join(' '));
      const win = await r.read({ window: { x: 250, y: 300, width: 100, height: 50 } });
      for (let y = 0; y < 50; y++) for (let x = 0; x < 100; x++) assert.equal(win.bands[0]![y * 100 + x], band[(y + 300) * w + x + 250]);
      await r.close();
    }
  });

  test('readInto: a window into a caller\'s larger buffer, by the fast decoder (DEFLATE) and geotiff.js (LZW), nothing else written', async () => {
    const win = { x: 250, y: 300, width: 300, height: 120 };
    for (const co of [['COMPRESS=DEFLATE', 'PREDICTOR=2'], ['COMPRESS=LZW']]) {
      const cog = join(dir, `gdal-${co.join('-')}.tif`);
      const r = await openRaster(cog);
      try {
        // The window lands at its own place in an image-sized buffer; the rest keeps its sentinel.
        const buf = new Int16Array(w * h).fill(12345);
        await r.readInto({ window: win, into: { arrays: [buf], width: w, x: win.x, y: win.y } });
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            const inside = x >= win.x && x < win.x + win.width && y >= win.y && y < win.y + win.height;
            if (buf[y * w + x] !== (inside ? band[y * w + x] : 12345)) assert.fail(`${co.join(' ')}: pixel ${x}, ${y} is ${buf[y * w + x]}`);
          }
        }
        await assert.rejects(r.readInto({ window: win, into: { arrays: [new Int16Array(w * h)], width: w, x: w - 100, y: 0 } }), (e: Error) => e.message.includes(cog) && /does not fit its destination/.test(e.message));
        await assert.rejects(r.readInto({ window: win, into: { arrays: [new Uint16Array(w * h)], width: w, x: 0, y: 0 } }), /does not fit its destination/);
      } finally {
        await r.close();
      }
    }
  });

  test('BigTIFF and big-endian GeoTIFFs from GDAL', async () => {
    for (const co of [['BIGTIFF=YES', 'COMPRESS=DEFLATE', 'PREDICTOR=2', 'TILED=YES'], ['ENDIANNESS=BIG', 'COMPRESS=DEFLATE', 'PREDICTOR=2'], ['ENDIANNESS=BIG']]) {
      const f = join(dir, `gtiff-${co.join('-')}.tif`);
      run('gdal_translate', ['-q', '-of', 'GTiff', ...co.flatMap((c) => ['-co', c]), src, f]);
      const r = await readRasterWindow(f);
      assert.equal(sha256(r.bands[0]!), sha256(band), co.join(' '));
      assert.deepEqual(r.geoTransform, UTM_GT);
    }
  });

  test('big-endian LZW with a predictor is refused, not misread', async () => {
    const f = join(dir, 'be-lzw.tif');
    run('gdal_translate', ['-q', '-of', 'GTiff', '-co', 'ENDIANNESS=BIG', '-co', 'COMPRESS=LZW', '-co', 'PREDICTOR=2', src, f]);
    await assert.rejects(readRasterWindow(f), (e: Error) => e.message.includes(f) && /unsupported layout: big-endian/.test(e.message));
  });

  test('HTTP range requests against a local server', async () => {
    const cog = join(dir, 'http.tif');
    run('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', '-co', 'BLOCKSIZE=256', src, cog]);
    const bytes = readFileSync(cog);
    let rangeRequests = 0;
    const server = createServer((req, res) => {
      const m = /bytes=(\d+)-(\d+)/.exec(req.headers.range ?? '');
      if (!m) {
        res.writeHead(200, { 'content-length': bytes.length });
        res.end(bytes);
        return;
      }
      rangeRequests++;
      const [a, b] = [Number(m[1]), Math.min(Number(m[2]), bytes.length - 1)];
      res.writeHead(206, { 'content-range': `bytes ${a}-${b}/${bytes.length}`, 'content-length': b - a + 1 });
      res.end(bytes.subarray(a, b + 1));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/t.tif`;
      const win = await readRasterWindow(url, { x: 0, y: 0, width: 200, height: 100 });
      assert.equal(win.epsg, 32613);
      for (let y = 0; y < 100; y++) for (let x = 0; x < 200; x++) assert.equal(win.bands[0]![y * 200 + x], band[y * w + x]);
      assert.ok(rangeRequests > 0, 'used range requests');
      const missing = `http://127.0.0.1:${(server.address() as AddressInfo).port}/missing.tif`;
      server.removeAllListeners('request');
      server.on('request', (_req, res) => {
        res.writeHead(404);
        res.end('not found');
      });
      await assert.rejects(readRasterWindow(missing), (e: Error) => e.message.includes(missing));
    } finally {
      server.close();
    }
  });

  test('an open raster read window by window opens its file once, and close() lets it go', async () => {
    const path = join(dir, 'windows.tif');
    const band = reflectanceBand(300, 300, 3);
    await writeGeoTiff(path, { width: 300, height: 300, bands: [band], geoTransform: UTM_GT, epsg: 32615, nodata: -9999, tiled: true, blockSize: 64 });
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const before = fds();
    const r = await openRaster(path);
    const opened = fds();
    const windows = [0, 100, 200].map((x) => ({ x, y: x, width: 100, height: 100 }));
    const got = await Promise.all(windows.map((window) => r.read({ window })));
    assert.equal(fds(), opened + 1, 'one more file open for the reads, kept for the next');
    await r.read({ window: windows[0] });
    assert.equal(fds(), opened + 1);
    got.forEach((g, i) => {
      const { x, y } = windows[i]!;
      for (const [k, v] of [[0, 0], [37, 61], [99, 99]] as const) assert.equal(g.bands[0]![k * 100 + v], band[(y + k) * 300 + x + v]);
    });
    await r.close();
    assert.equal(fds(), before, 'close() closes both');
  });

  test('truncated, corrupt, CRS-less files and bad windows are errors naming the file', async () => {
    const cog = join(dir, 'trunc.tif');
    run('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', src, cog]);
    truncateSync(cog, Math.floor(statSync(cog).size * 0.7));
    await assert.rejects(readRasterWindow(cog), (e: Error) => e.message.includes(cog) && /truncated/.test(e.message));

    // Garbage in the middle of the compressed tile data: a decode error naming the file.
    const corrupt = join(dir, 'corrupt.tif');
    run('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'BLOCKSIZE=256', src, corrupt]);
    const bytes = readFileSync(corrupt);
    const offsets = await ifdTileOffsets(corrupt);
    for (const off of offsets) bytes.fill(0xab, off, off + 64);
    writeFileSync(corrupt, bytes);
    await assert.rejects(readRasterWindow(corrupt), (e: Error) => e.message.includes(corrupt) && /decode/.test(e.message));

    const junk = join(dir, 'junk.tif');
    writeFileSync(junk, 'this is not a tiff at all');
    await assert.rejects(readRasterWindow(junk), (e: Error) => e.message.includes(junk));

    const nocrs = join(dir, 'nocrs.tif');
    run('gdal_create', ['-q', '-of', 'GTiff', '-outsize', '20', '10', '-bands', '1', '-ot', 'Int16', nocrs]);
    await assert.rejects(readRasterWindow(nocrs), (e: Error) => e.message.includes(nocrs) && /CRS|georeferencing/.test(e.message));

    await assert.rejects(readRasterWindow(src, { x: 590, y: 0, width: 20, height: 10 }), (e: Error) => e.message.includes(src) && /window/.test(e.message));
    await assert.rejects(readRasterWindow(join(dir, 'missing.tif')), /missing\.tif/);
  });
});

test('fmask fixture is UInt8 with nodata where reflectance is nodata', () => {
  const r = reflectanceBand(50, 50, 1);
  const f = fmaskBand(50, 50, 1, r);
  for (let i = 0; i < r.length; i++) assert.equal(f[i] === 255, r[i] === -9999);
});
