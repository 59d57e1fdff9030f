// Issue 15, items 1 and 2: untrusted GeoTIFFs are refused in one line before any big allocation (a sparse
// 100,000 x 100,000 band, a window or output over the cap) and TIFFs whose IFD chain loops are refused
// instead of sending geotiff.js round the loop.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LIMITS } from '@hls/contracts/domain';
import { sparseHugeGeoTiff } from './testing/gdal.ts';
import { RasterReadError, RasterTooLargeError, openRaster, readRasterInfo, readRasterWindow, reprojectFile, utmEpsg, writeGeoTiff } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'raster-limits-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('size limits', () => {
  test('a sparse 100,000 x 100,000 Int16 GeoTIFF is refused by reprojectFile in one line, before the read', async () => {
    const big = sparseHugeGeoTiff(join(dir, 'sparse.tif'));
    assert.ok(statSync(big).size < 20_000_000, 'the file itself is small');
    const info = await readRasterInfo(big);
    assert.deepEqual([info.width, info.height], [100_000, 100_000], 'its header is readable');
    const rssBefore = process.memoryUsage().rss;
    await assert.rejects(reprojectFile(big, join(dir, 'sparse_5070.tif')), (e: unknown) => {
      assert.ok(e instanceof RasterTooLargeError && e instanceof RasterReadError);
      assert.match(e.message, /sparse\.tif: the input of 100000 x 100000 pixels x 1 band\(s\) is over the limit of 53582400 pixels x bands \(limits\.max_raster_pixels; an HLS band is 3660 x 3660\)/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    assert.ok(process.memoryUsage().rss - rssBefore < 500_000_000, 'nothing big was allocated');
    // The same file read whole, or by a window over the cap, is refused too.
    await assert.rejects(readRasterWindow(big), /the image of 100000 x 100000 pixels x 1 band\(s\) is over the limit/);
    await assert.rejects(readRasterWindow(big, { x: 0, y: 0, width: 10_000, height: 10_000 }), /a window of 10000 x 10000 pixels/);
    // A small window of it is fine: a CDL-sized file is read by the chip's window.
    const w = await readRasterWindow(big, { x: 50_000, y: 50_000, width: 224, height: 224 });
    assert.equal(w.bands[0]!.length, 224 * 224);
  });

  test('the cap is configurable per open and per read, and an HLS-sized band passes the default', async () => {
    const n = 3660;
    const path = join(dir, 'hls.tif');
    await writeGeoTiff(path, { width: n, height: n, bands: [new Int16Array(n * n).fill(7)], geoTransform: [600000, 30, 0, 4800000, 0, -30], epsg: utmEpsg(15), nodata: -9999, tiled: true, blockSize: 512 });
    assert.ok(n * n <= LIMITS.maxRasterPixels);
    assert.equal((await readRasterWindow(path)).bands[0]!.length, n * n);
    await assert.rejects(readRasterWindow(path, undefined, { maxPixels: n * n - 1 }), RasterTooLargeError);
    const r = await openRaster(path, { maxPixels: 100 });
    try {
      await assert.rejects(r.read({ window: { x: 0, y: 0, width: 11, height: 10 } }), /a window of 11 x 10 pixels x 1 band\(s\) is over the limit of 100 /);
      assert.equal((await r.read({ window: { x: 0, y: 0, width: 224, height: 224 }, maxPixels: 224 * 224 })).width, 224);
    } finally {
      await r.close();
    }
    await assert.rejects(reprojectFile(path, join(dir, 'hls_5070.tif'), { maxPixels: 1000 }), /the input of 3660 x 3660 pixels/);
  });

  test('a small input whose reprojection would be huge (30 km pixels) is refused before the warp', async () => {
    const path = join(dir, 'coarse.tif');
    await writeGeoTiff(path, { width: 100, height: 100, bands: [new Int16Array(100 * 100)], geoTransform: [300000, 30_000, 0, 5000000, 0, -30_000], epsg: utmEpsg(15), nodata: -9999 });
    await assert.rejects(reprojectFile(path, join(dir, 'coarse_5070.tif')), (e: unknown) => {
      assert.ok(e instanceof RasterTooLargeError);
      assert.match(e.message, /coarse\.tif: the reprojected output of \d+ x \d+ pixels x 1 band\(s\) is over the limit/);
      return true;
    });
  });
});

/** Offsets of the IFDs of a classic little-endian TIFF, and where each stores its next-IFD offset. */
function ifds(buf: Buffer): { at: number; nextField: number }[] {
  assert.equal(buf.toString('latin1', 0, 2), 'II');
  assert.equal(buf.readUInt16LE(2), 42, 'classic TIFF');
  const out: { at: number; nextField: number }[] = [];
  for (let at = buf.readUInt32LE(4); at !== 0; ) {
    const nextField = at + 2 + buf.readUInt16LE(at) * 12;
    out.push({ at, nextField });
    at = buf.readUInt32LE(nextField);
  }
  return out;
}

describe('IFD chains', () => {
  const base = join(dir, 'chain.tif');
  const make = async (): Promise<void> => {
    await writeGeoTiff(base, { width: 64, height: 64, bands: [new Int16Array(64 * 64).fill(3)], geoTransform: [600000, 30, 0, 4800000, 0, -30], epsg: utmEpsg(15), nodata: -9999 });
    execFileSync('gdaladdo', ['-q', base, '2']);
  };

  test('a TIFF whose next-IFD offset points to itself is refused in one line', async () => {
    await make();
    const buf = readFileSync(base);
    const chain = ifds(buf);
    assert.equal(chain.length, 2, 'the band and its overview');
    assert.equal((await readRasterInfo(base)).overviewCount, 1);
    const first = chain[0]!;
    buf.writeUInt32LE(first.at, first.nextField);
    const selfLoop = join(dir, 'self-loop.tif');
    writeFileSync(selfLoop, buf);
    await assert.rejects(readRasterInfo(selfLoop), (e: unknown) => {
      assert.ok(e instanceof RasterReadError);
      assert.equal(e.message, `${selfLoop}: IFD chain loops: the IFD at byte ${first.at} points back to the IFD at byte ${first.at}`);
      return true;
    });
    await assert.rejects(reprojectFile(selfLoop, join(dir, 'x.tif')), /IFD chain loops/);
  });

  test('a TIFF whose last IFD points back to an earlier one, or past the end of the file, is refused', async () => {
    await make();
    const buf = readFileSync(base);
    const [first, second] = ifds(buf) as [{ at: number; nextField: number }, { at: number; nextField: number }];
    const back = Buffer.from(buf);
    back.writeUInt32LE(first.at, second.nextField);
    const backPath = join(dir, 'back-loop.tif');
    writeFileSync(backPath, back);
    await assert.rejects(readRasterInfo(backPath), new RegExp(`IFD chain loops: the IFD at byte ${second.at} points back to the IFD at byte ${first.at}`));
    const past = Buffer.from(buf);
    past.writeUInt32LE(buf.length + 1000, second.nextField);
    const pastPath = join(dir, 'past-end.tif');
    writeFileSync(pastPath, past);
    await assert.rejects(readRasterInfo(pastPath), new RegExp(`IFD chain: the IFD at byte ${second.at} points to byte ${buf.length + 1000}, outside the ${buf.length}-byte file`));
  });
});
