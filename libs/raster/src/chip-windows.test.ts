// Chips mode against the tiles mode and GDAL: an HLS-like UTM COG (256-px DEFLATE blocks) warped whole and
// by chip windows onto the same CDL-grid window. The chips' pixels must be byte-identical to the whole
// warp's, within 1 DN of gdalwarp -et 0, and the source read only in the blocks the chips need.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CDL_GRID } from '@hls/contracts/domain';
import {
  CHIP_WINDOWS_ITEM,
  blockRuns,
  cdlWindowFor,
  chipRects,
  chipSourcePlan,
  coalesceRanges,
  createReprojectPool,
  coordGrid,
  interpolate,
  sourceWindowFor,
  copyChipBlocks,
  isValidReprojection,
  openRaster,
  readPartialCopy,
  readRasterInfo,
  readRasterWindow,
  reprojectFile,
  utmEpsg,
  type Box,
  type RangeReader,
  type ReprojectOptions,
  type Raster,
} from './index.ts';
import { fmaskBand, reflectanceBand } from './testing/fixtures.ts';
import { gdalinfo, run } from './testing/gdal.ts';
import { compare, gdalwarp, makeHlsCog } from './testing/warp-compare.ts';

const dir = mkdtempSync(join(tmpdir(), 'raster-chips-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const N = 1200;
const CHIP = 224 * CDL_GRID.pixelSize;

/** A chip box on the CDL lattice whose top-left pixel is `dc`, `dr` pixels into the window. */
function chipAt(window: [number, number, number, number], dc: number, dr: number): Box {
  const minX = window[0] + dc * CDL_GRID.pixelSize;
  const maxY = window[3] - dr * CDL_GRID.pixelSize;
  return [minX, maxY - CHIP, minX + CHIP, maxY];
}

const makeCog = (name: string, zone: number, x0: number, y0: number, band: Int16Array | Uint8Array, nodata: number): Promise<string> =>
  makeHlsCog(dir, name, N, zone, x0, y0, band, nodata);

/** The pixels of `rect` of a raster. */
function cut(r: Raster, rect: { x: number; y: number; width: number; height: number }): number[] {
  const b = r.bands[0]!;
  const out: number[] = [];
  for (let y = rect.y; y < rect.y + rect.height; y++) out.push(...b.subarray(y * r.width + rect.x, y * r.width + rect.x + rect.width));
  return out;
}

describe('chip windows', () => {
  test('chips mode: byte-identical chips to the tiles mode, within 1 DN of gdalwarp, only the needed blocks read', async () => {
    const refl = reflectanceBand(N, N, 7);
    const fmask = fmaskBand(N, N, 7, refl);
    const srcR = await makeCog('r', 15, 600000, 4800000, refl, -9999);
    const srcF = await makeCog('f', 15, 600000, 4800000, fmask, 255);

    const wholeR = join(dir, 'r.tiles.tif');
    const tiles = await reprojectFile(srcR, wholeR, { resampling: 'bilinear' });
    const bb = tiles.bbox5070;
    const w = tiles.window;
    // Inside, at the window's corner (partly outside the source footprint), overlapping pairs, and one
    // box hanging over the window's edge.
    const chips: Box[] = [
      chipAt(bb, 300, 250),
      chipAt(bb, 0, 0),
      chipAt(bb, 700, 640),
      chipAt(bb, 800, 700),
      chipAt(bb, w.width - 100, 500),
    ];
    const chipsR = join(dir, 'r.chips.tif');
    const res = await reprojectFile(srcR, chipsR, { resampling: 'bilinear', chips });
    assert.deepEqual(res.window, w);
    const info = await readRasterInfo(srcR);
    const totalBlocks = Math.ceil(N / info.blockWidth) * Math.ceil(N / info.blockHeight);
    assert.ok(res.blocksRead! > 0 && res.blocksRead! < totalBlocks, `blocks read ${res.blocksRead} of ${totalBlocks}`);

    const wholeF = join(dir, 'f.tiles.tif');
    const chipsF = join(dir, 'f.chips.tif');
    await reprojectFile(srcF, wholeF, { resampling: 'nearest' });
    await reprojectFile(srcF, chipsF, { resampling: 'nearest', chips });

    const [a, b, fa, fb] = await Promise.all([readRasterWindow(wholeR), readRasterWindow(chipsR), readRasterWindow(wholeF), readRasterWindow(chipsF)]);
    assert.deepEqual(b.geoTransform, a.geoTransform);
    const rects = chipRects(w, chips);
    assert.equal(rects.length, chips.length);
    for (const rect of rects) {
      assert.deepEqual(cut(b, rect), cut(a, rect), `reflectance of chip window ${JSON.stringify(rect)}`);
      assert.deepEqual(cut(fb, rect), cut(fa, rect), `Fmask of chip window ${JSON.stringify(rect)}`);
    }
    // Outside the chips the sparse file reads as nodata (GDAL's rule for missing blocks).
    assert.equal(b.bands[0]![(w.height - 1) * w.width + Math.floor(w.width / 2)], -9999);

    // GDAL reads the sparse file: the same chip pixels through gdal_translate.
    const gi = gdalinfo(chipsR);
    assert.equal(gi.bands[0]?.noDataValue, -9999);
    const viaGdal = join(dir, 'chip0.gdal.tif');
    const r0 = rects[0]!;
    run('gdal_translate', ['-q', '-srcwin', String(r0.x), String(r0.y), String(r0.width), String(r0.height), chipsR, viaGdal]);
    const g0 = await readRasterWindow(viaGdal);
    assert.deepEqual([...g0.bands[0]!], cut(a, r0));

    // gdalwarp -et 0 on the chips' pixels.
    const gdalR = join(dir, 'r.gdal.tif');
    gdalwarp(srcR, gdalR, tiles, 'bilinear', -9999);
    const g = await readRasterWindow(gdalR);
    const gdalF = join(dir, 'f.gdal.tif');
    gdalwarp(srcF, gdalF, tiles, 'near', 255);
    const gf = await readRasterWindow(gdalF);
    const ours = rects.flatMap((r) => cut(b, r));
    const theirs = rects.flatMap((r) => cut(g, r));
    const c = compare(Int16Array.from(ours), Int16Array.from(theirs), -9999);
    assert.ok(c.validBoth > 0.5 * c.total, JSON.stringify(c));
    assert.ok(c.within1 >= 0.9999 * c.validBoth, `within 1 DN of gdalwarp on 99.99 % of valid pixels: ${JSON.stringify(c)}`);
    const cf = compare(Uint8Array.from(rects.flatMap((r) => cut(fb, r))), Uint8Array.from(rects.flatMap((r) => cut(gf, r))), 255);
    assert.ok(cf.identical >= 0.9999 * cf.total, `Fmask: ${JSON.stringify(cf)}`);
    console.log(`chips mode: ${res.blocksRead} of ${totalBlocks} source blocks; bilinear ${JSON.stringify(c)}; nearest ${JSON.stringify(cf)}`);
  });

  test('reuse: a chips-mode file is valid only for the same chips, never for the whole tile, and a tile file never for chips', async () => {
    const refl = reflectanceBand(N, N, 8);
    const src = await makeCog('reuse', 14, 500000, 4600000, refl, -9999);
    const whole = join(dir, 'reuse.tiles.tif');
    const t = await reprojectFile(src, whole);
    const chips = [chipAt(t.bbox5070, 100, 100), chipAt(t.bbox5070, 500, 300)];
    const part = join(dir, 'reuse.chips.tif');
    await reprojectFile(src, part, { chips });
    assert.equal((await readRasterInfo(part)).metadata[CHIP_WINDOWS_ITEM] !== undefined, true);
    assert.equal(await isValidReprojection(part, src, 'footprint', chips), true);
    assert.equal(await isValidReprojection(part, src, 'footprint', [...chips].reverse()), true, 'order does not matter');
    assert.equal(await isValidReprojection(part, src, 'footprint', chips.slice(0, 1)), false);
    assert.equal(await isValidReprojection(part, src, 'footprint'), false);
    assert.equal(await isValidReprojection(whole, src, 'footprint', chips), false);
    assert.equal(await isValidReprojection(whole, src, 'footprint'), true);
  });

  test('a thread warping tiles of two sizes in turn writes the same chips file for a tile before and after the other', async () => {
    // The warp keeps its tile-sized arrays between bands as views of the largest asked for: the larger tile's
    // values left in them must not reach the smaller tile's file.
    const small = await makeCog('turn-small', 14, 500000, 4600000, reflectanceBand(N, N, 21), -9999);
    const big = await makeHlsCog(dir, 'turn-big', N + 300, 14, 520000, 4610000, reflectanceBand(N + 300, N + 300, 22), -9999);
    const ts = await reprojectFile(small, join(dir, 'turn-small.tiles.tif'));
    const tb = await reprojectFile(big, join(dir, 'turn-big.tiles.tif'));
    assert.ok(tb.window.width * tb.window.height > ts.window.width * ts.window.height);
    const chips = [chipAt(ts.bbox5070, 100, 100), chipAt(ts.bbox5070, 100 + 224, 100), chipAt(ts.bbox5070, 550, 700)];
    const bigChips = [chipAt(tb.bbox5070, 90, 80), chipAt(tb.bbox5070, 600, 500), chipAt(tb.bbox5070, 1200, 1100)];
    await reprojectFile(small, join(dir, 'turn-1.tif'), { chips });
    await reprojectFile(big, join(dir, 'turn-big.chips.tif'), { chips: bigChips });
    await reprojectFile(small, join(dir, 'turn-2.tif'), { chips });
    assert.ok(readFileSync(join(dir, 'turn-1.tif')).equals(readFileSync(join(dir, 'turn-2.tif'))));
    const whole = await readRasterWindow(join(dir, 'turn-small.tiles.tif'));
    const again = await readRasterWindow(join(dir, 'turn-2.tif'));
    for (const rect of chipRects(ts.window, chips)) assert.deepEqual(cut(again, rect), cut(whole, rect));
  });

  test('a plan made on the event loop crosses to a warp thread and is used there; one made of other inputs is not', async () => {
    const refl = reflectanceBand(N, N, 23);
    const srcR = await makeCog('sent', 15, 600000, 4800000, refl, -9999);
    const srcF = await makeCog('sent-f', 15, 600000, 4800000, fmaskBand(N, N, 23, refl), 255);
    const t = await reprojectFile(srcR, join(dir, 'sent.tiles.tif'));
    const chips = [chipAt(t.bbox5070, 200, 150), chipAt(t.bbox5070, 700, 600)];
    const bytes = (f: string): Buffer => readFileSync(join(dir, f));
    // Each case on a fresh one-thread pool: a thread keeps the plans it has by their inputs.
    const onThread = async (src: string, out: string, options: ReprojectOptions): Promise<void> => {
      const pool = createReprojectPool(1);
      try {
        await pool.reproject(src, join(dir, out), options);
      } finally {
        await pool.close();
      }
    };
    for (const [src, resampling] of [[srcR, 'bilinear'], [srcF, 'nearest']] as const) {
      // As the reprojector's handler makes it (from the file's header, in its thread).
      const plan = chipSourcePlan(await readRasterInfo(src), chips, { resampling });
      await reprojectFile(src, join(dir, `sent-here-${resampling}.tif`), { resampling, chips });
      await onThread(src, `sent-${resampling}.tif`, { resampling, chips, plan });
      assert.ok(bytes(`sent-${resampling}.tif`).equals(bytes(`sent-here-${resampling}.tif`)), `${resampling}: the same file as a plan made in the thread`);
    }
    const plan = chipSourcePlan(await readRasterInfo(srcR), chips, { resampling: 'bilinear' });
    // Used, not made again: the same plan with its grid moved half a source pixel warps other values.
    const moved = { ...plan, grid: { ...plan.grid, sx: plan.grid.sx.map((x) => x + 0.5) } };
    await onThread(srcR, 'sent-moved.tif', { chips, plan: moved });
    assert.ok(!bytes('sent-moved.tif').equals(bytes('sent-here-bilinear.tif')), 'the plan given was used');
    // A plan of other chips (another key) is ignored: the thread makes its own.
    const other = chipSourcePlan(await readRasterInfo(srcR), chips.slice(0, 1), { resampling: 'bilinear' });
    await onThread(srcR, 'sent-other.tif', { chips, plan: { ...other, grid: { ...other.grid, sx: other.grid.sx.map((x) => x + 0.5) } } });
    assert.ok(bytes('sent-other.tif').equals(bytes('sent-here-bilinear.tif')), 'a plan of other inputs is not used');
  });

  test('a partial copy that lacks a block the chips need is an error naming the file and the blocks', async () => {
    const refl = reflectanceBand(N, N, 9);
    const src = await makeCog('partial', 16, 300000, 4200000, refl, -9999);
    const t = await reprojectFile(src, join(dir, 'partial.tiles.tif'));
    const chips = [chipAt(t.bbox5070, 400, 400)];
    await assert.rejects(
      reprojectFile(src, join(dir, 'partial.chips.tif'), { chips, availableBlocks: [0] }),
      (e: Error) => e.message.startsWith(`${src}: the chips need source block(s)`) && /partial copy/.test(e.message),
    );
  });

  test('a partial copy through byte ranges: header and the chips\' blocks only, and the same chips as from the whole file', async () => {
    const refl = reflectanceBand(N, N, 11);
    const src = await makeCog('ranged', 15, 560000, 4700000, refl, -9999);
    const whole = readFileSync(src);
    let bytesRead = 0;
    let requests = 0;
    const reader: RangeReader = {
      size: whole.length,
      read: async (ranges) => {
        requests++;
        return ranges.map((r) => {
          bytesRead += r.length;
          assert.ok(r.offset + r.length <= whole.length, 'inside the file');
          return new Uint8Array(whole.subarray(r.offset, r.offset + r.length));
        });
      },
    };
    const t = await reprojectFile(src, join(dir, 'ranged.tiles.tif'));
    const chips = [chipAt(t.bbox5070, 200, 200), chipAt(t.bbox5070, 210, 240), chipAt(t.bbox5070, 900, 800)];
    const copy = join(dir, 'ranged.copy.tif');
    const c = await copyChipBlocks(src, reader, chips, copy);
    assert.ok(c.blocks > 0 && c.blocks < c.totalBlocks, JSON.stringify(c));
    assert.equal(bytesRead >= c.bytesNeeded, true);
    assert.ok(bytesRead <= 1.2 * c.bytesNeeded, `read ${bytesRead} bytes, the least is ${c.bytesNeeded}`);
    assert.ok(bytesRead < whole.length / 2, `read ${bytesRead} of ${whole.length} bytes`);
    assert.ok(requests <= 6, `${requests} read calls`);
    const held = await readPartialCopy(copy);
    assert.equal(held?.size, whole.length);
    assert.equal(held?.origin, src);
    // The reprojection of the copy, held to its blocks, equals the one of the whole file.
    const fromCopy = join(dir, 'ranged.chips-copy.tif');
    const fromWhole = join(dir, 'ranged.chips-whole.tif');
    await reprojectFile(copy, fromCopy, { chips, availableBlocks: held!.blocks });
    await reprojectFile(src, fromWhole, { chips });
    assert.deepEqual((await readRasterWindow(fromCopy)).bands[0], (await readRasterWindow(fromWhole)).bands[0]);
    // Other chips need blocks the copy lacks: refused, never read as holes.
    await assert.rejects(reprojectFile(copy, join(dir, 'x.tif'), { chips: [chipAt(t.bbox5070, 600, 20)], availableBlocks: held!.blocks }), /partial copy does not hold/);
    assert.equal(await readPartialCopy(src), null, 'a whole file has no sidecar');
  });

  test('a chip\'s source window from its grid cells\' corners holds every position the warp samples', async () => {
    const src = { width: 3660, height: 3660, geoTransform: [399960, 30, 0, 4800000, 0, -30] as [number, number, number, number, number, number], epsg: utmEpsg(15) };
    const window = cdlWindowFor(src);
    const grid = coordGrid(src, window, 0.05);
    let seed = 3;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (let k = 0; k < 40; k++) {
      const rect = { x: rnd(window.width - 224), y: rnd(window.height - 224), width: 224, height: 224 };
      const w = sourceWindowFor(grid, rect, src, 'bilinear')!;
      // Every pixel's interpolated position, and the two source columns and rows bilinear reads around it.
      for (let iy = rect.y; iy < rect.y + rect.height; iy += 7) {
        for (let ix = rect.x; ix < rect.x + rect.width; ix += 5) {
          const [x, y] = interpolate(grid, ix, iy);
          // The warp reads only source pixels inside the image.
          const cols = [Math.floor(x - 0.5), Math.floor(x - 0.5) + 1].filter((c) => c >= 0 && c < src.width);
          const rows = [Math.floor(y - 0.5), Math.floor(y - 0.5) + 1].filter((r) => r >= 0 && r < src.height);
          for (const c of cols) for (const r of rows) assert.ok(c >= w.x && c < w.x + w.width && r >= w.y && r < w.y + w.height, `pixel ${ix},${iy} reads ${c},${r}: outside ${JSON.stringify(w)}`);
        }
      }
    }
  });

  test('block runs and byte ranges merge neighbours', () => {
    const g = { width: 1000, height: 600, blockWidth: 256, blockHeight: 256 };
    // 4 blocks across, 3 down: 0 1 | 3 on row 0; 5 6 7 on row 1 (7 is cut to the image's width).
    assert.deepEqual(blockRuns(g, [0, 1, 3, 5, 6, 7]), [
      { x: 0, y: 0, width: 512, height: 256 },
      { x: 768, y: 0, width: 232, height: 256 },
      { x: 256, y: 256, width: 744, height: 256 },
    ]);
    assert.deepEqual(coalesceRanges([{ offset: 100, length: 10 }, { offset: 0, length: 50 }, { offset: 112, length: 8 }, { offset: 60, length: 0 }], 2), [
      { offset: 0, length: 50 },
      { offset: 100, length: 20 },
    ]);
  });

  test('chips on the published lattice: each chip is one block of the file, byte-identical to the tiles mode, read by GDAL', async () => {
    const refl = reflectanceBand(N, N, 10);
    const src = await makeCog('lattice', 13, 400000, 4500000, refl, -9999);
    const t = await reprojectFile(src, join(dir, 'lattice.tiles.tif'));
    const bb = t.bbox5070;
    // The published chips sit on a 224-px (6720 m) lattice from the CDL grid's origin.
    const col0 = Math.ceil((bb[0] - CDL_GRID.x0) / CHIP);
    const row0 = Math.ceil((CDL_GRID.y0 - bb[3]) / CHIP);
    const lattice = (i: number, j: number): Box => {
      const minX = CDL_GRID.x0 + (col0 + i) * CHIP;
      const maxY = CDL_GRID.y0 - (row0 + j) * CHIP;
      return [minX, maxY - CHIP, minX + CHIP, maxY];
    };
    // Two neighbours and one apart.
    const chips = [lattice(0, 0), lattice(1, 0), lattice(2, 3)];
    const out = join(dir, 'lattice.chips.tif');
    await reprojectFile(src, out, { chips });
    const r = await openRaster(out);
    try {
      assert.equal(r.tiled, true);
      assert.equal(r.blockWidth, 224);
      assert.equal(r.blockHeight, 224);
      // The image starts on the lattice: every chip is exactly one block.
      assert.equal((r.geoTransform[0] - CDL_GRID.x0) % CHIP, 0);
      assert.equal((CDL_GRID.y0 - r.geoTransform[3]) % CHIP, 0);
    } finally {
      await r.close();
    }
    // Only the chips' blocks hold bytes (GDAL's view of the file's blocks).
    const script = [
      'import sys, json; from osgeo import gdal',
      // Keep the dataset referenced: a band outliving its dataset crashes GDAL's Python bindings.
      'ds = gdal.Open(sys.argv[1]); b = ds.GetRasterBand(1); bx, by = b.GetBlockSize()',
      'nx, ny = (b.XSize + bx - 1) // bx, (b.YSize + by - 1) // by',
      "print(json.dumps(sum(1 for i in range(nx) for j in range(ny) if int(b.GetMetadataItem(f'BLOCK_SIZE_{i}_{j}', 'TIFF') or 0) > 0)))",
    ].join('\n');
    assert.equal(JSON.parse(run('/usr/bin/python3', ['-c', script, out])), chips.length);
    const [whole, sparse] = await Promise.all([readRasterWindow(join(dir, 'lattice.tiles.tif')), readRasterWindow(out)]);
    const rectIn = (ras: Raster, box: Box) => ({ x: Math.round((box[0] - ras.geoTransform[0]) / CDL_GRID.pixelSize), y: Math.round((ras.geoTransform[3] - box[3]) / CDL_GRID.pixelSize), width: 224, height: 224 });
    for (const box of chips) {
      assert.deepEqual(cut(sparse, rectIn(sparse, box)), cut(whole, rectIn(whole, box)), `chip ${JSON.stringify(box)}`);
      // GDAL reads the same pixels by the chip's box.
      const viaGdal = join(dir, 'lattice.gdal.tif');
      run('gdal_translate', ['-q', '-projwin', String(box[0]), String(box[3]), String(box[2]), String(box[1]), out, viaGdal]);
      const g = await readRasterWindow(viaGdal);
      assert.deepEqual([...g.bands[0]!], cut(whole, rectIn(whole, box)));
    }
    // The same chips reuse the file; others do not.
    assert.equal(await isValidReprojection(out, src, 'footprint', chips), true);
    assert.equal(await isValidReprojection(out, src, 'footprint', chips.slice(0, 2)), false);
  });

  test('chips off one lattice (a clipped box, odd offsets): 256-px blocks on the tile window', async () => {
    const refl = reflectanceBand(N, N, 10);
    const src = await makeCog('open', 13, 400000, 4500000, refl, -9999);
    const t = await reprojectFile(src, join(dir, 'open.tiles.tif'));
    const out = join(dir, 'open.chips.tif');
    await reprojectFile(src, out, { chips: [chipAt(t.bbox5070, 10, 10), chipAt(t.bbox5070, 300, 17)] });
    const r = await openRaster(out);
    try {
      assert.equal(r.tiled, true);
      assert.equal(r.blockWidth, 256);
      assert.deepEqual(r.geoTransform, (await readRasterInfo(join(dir, 'open.tiles.tif'))).geoTransform);
    } finally {
      await r.close();
    }
  });
});
