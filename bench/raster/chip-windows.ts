// Benchmark of the chips mode against the tiles mode and GDAL, on one HLS-like band (3660 x 3660 Int16, UTM
// zone 15, DEFLATE + predictor COG with 256-px blocks as HLS ships them) and 8 chips on the CDL lattice (the
// published dataset's density). Per method: bytes read and wall seconds (median of `reps`).
//   chips mode   header + the chips' blocks through a range reader (a partial copy), then the chip windows warped
//   tiles mode   the whole file read, every pixel warped
//   gdalwarp     gdalwarp -et 0 of the whole band (the original's method; its clip is negligible)
//   least        the compressed blocks the chips' source windows touch plus the header (exact byte ranges),
//                and over IPFS the whole 256 KiB leaves that hold them
// `node bench/raster/chip-windows.ts [reps] [chips]`
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { hlsLikeBand, N } from './hls-band.ts';
import { CDL_GRID, CHIP } from '@hls/contracts/domain';
import { copyChipBlocks, readPartialCopy, readRasterInfo, reprojectFile, windowBounds, type Box, type RangeReader } from '@hls/raster';

const reps = Number(process.argv[2] ?? 3);
const chipCount = Number(process.argv[3] ?? 8);
const out = join(import.meta.dirname, '..', 'out', 'chip-windows');
mkdirSync(out, { recursive: true });
const LEAF = 256 * 1024;

const src = await hlsLikeBand(out, { blockSize: 256, wedge: false });
const fileBytes = statSync(src).size;

// Chips spread over the tile on the CDL lattice (deterministic).
const t = await reprojectFile(src, join(out, 'tiles.tif'));
const bb = windowBounds(t.window);
const chips: Box[] = [];
let s = 7;
const next = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
while (chips.length < chipCount) {
  const c = Math.floor(next() * (t.window.width - CHIP.pixels));
  const r = Math.floor(next() * (t.window.height - CHIP.pixels));
  const minX = bb[0] + c * CDL_GRID.pixelSize;
  const maxY = bb[3] - r * CDL_GRID.pixelSize;
  chips.push([minX, maxY - CHIP.pixels * CDL_GRID.pixelSize, minX + CHIP.pixels * CDL_GRID.pixelSize, maxY]);
}

const whole = readFileSync(src);
function reader(): RangeReader & { bytes: number; requests: number } {
  const r = {
    size: whole.length,
    bytes: 0,
    requests: 0,
    read: async (ranges: readonly { offset: number; length: number }[]) => {
      r.requests += ranges.length;
      return ranges.map((g) => {
        r.bytes += g.length;
        return new Uint8Array(whole.subarray(g.offset, g.offset + g.length));
      });
    },
  };
  return r;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = async (f: () => Promise<unknown> | unknown): Promise<number> => {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
};

const chipsTimes: number[] = [];
const tilesTimes: number[] = [];
const gdalTimes: number[] = [];
let copyInfo: Awaited<ReturnType<typeof copyChipBlocks>> | undefined;
let read = { bytes: 0, requests: 0 };
const [minX, minY, maxX, maxY] = t.bbox5070;
// Each method in its own loop (as a service runs one of them), first run included in the median.
for (let i = 0; i < reps; i++) {
  chipsTimes.push(
    await time(async () => {
      const rd = reader();
      copyInfo = await copyChipBlocks(src, rd, chips, join(out, 'copy.tif'), { gap: 16 * 1024 });
      read = rd;
      const held = await readPartialCopy(join(out, 'copy.tif'));
      await reprojectFile(join(out, 'copy.tif'), join(out, 'chips.tif'), { chips, availableBlocks: held!.blocks });
    }),
  );
}
for (let i = 0; i < reps; i++) tilesTimes.push(await time(() => reprojectFile(src, join(out, 'tiles.tif'))));
for (let i = 0; i < reps; i++) {
  gdalTimes.push(
    await time(() =>
      execFileSync('gdalwarp', ['-q', '-overwrite', '-et', '0', '-r', 'bilinear', '-t_srs', 'EPSG:5070', '-tr', '30', '30', '-te', String(minX), String(minY), String(maxX), String(maxY), '-srcnodata', '-9999', '-dstnodata', '-9999', src, join(out, 'gdal.tif')]),
    ),
  );
}

// Over IPFS the unit is the 256 KiB leaf: the leaves the needed byte ranges touch.
const info = await readRasterInfo(join(out, 'copy.tif'));
const held = (await readPartialCopy(join(out, 'copy.tif')))!;
const leaves = new Set<number>();
for (const [o, l] of held.ranges) for (let k = Math.floor(o / LEAF); k * LEAF < o + l; k++) leaves.add(k);
const ipfsLeast = Math.min(fileBytes, leaves.size * LEAF);

const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;
console.log(`one band ${N} x ${N} (${info.blockWidth}-px blocks, ${mb(fileBytes)}), ${chipCount} chips; medians of ${reps}; load ${loadavg()[0]!.toFixed(2)}`);
console.log(`  chips mode   ${mb(read.bytes)} read in ${read.requests} ranges (${copyInfo!.blocks} of ${copyInfo!.totalBlocks} blocks), ${median(chipsTimes).toFixed(2)} s`);
console.log(`  least        ${mb(copyInfo!.bytesNeeded)} by exact ranges (chips mode reads ${(read.bytes / copyInfo!.bytesNeeded).toFixed(2)}x that); over IPFS ${leaves.size} leaves = ${mb(ipfsLeast)}`);
console.log(`  tiles mode   ${mb(fileBytes)} read, ${median(tilesTimes).toFixed(2)} s`);
console.log(`  gdalwarp     ${mb(fileBytes)} read, ${median(gdalTimes).toFixed(2)} s (whole band, -et 0)`);
console.log(
  `  ratios: bytes whole/chips ${(fileBytes / read.bytes).toFixed(1)}x (IPFS whole/leaves ${(fileBytes / ipfsLeast).toFixed(1)}x); ` +
    `wall tiles/chips ${(median(tilesTimes) / median(chipsTimes)).toFixed(1)}x, gdalwarp/chips ${(median(gdalTimes) / median(chipsTimes)).toFixed(1)}x`,
);
