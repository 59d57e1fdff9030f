// A fast path for the files we make and meet most (HLS COGs, our own outputs): local, either byte order,
// uncompressed or DEFLATE, predictor 1 or 2, one band per block. Blocks are read with one positioned
// read each, inflated by node:zlib and copied row by row with TypedArray.set; geotiff.js's generic
// path reads each pixel through a DataView, which is several times slower. Anything else falls back.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflate as inflateCb } from 'node:zlib';
import { DTYPE_INFO, typedView } from './types.ts';
import type { DType, PixelWindow, TypedArray } from './types.ts';

const inflate = promisify(inflateCb);

export interface BlockLayout {
  source: string;
  width: number;
  height: number;
  bandCount: number;
  dtype: DType;
  /** 1 none, 8 / 32946 DEFLATE. */
  compression: number;
  predictor: number;
  /** 1 contiguous, 2 separate. */
  planar: number;
  tiled: boolean;
  blockWidth: number;
  /** Tile height, or rows per strip. */
  blockHeight: number;
  offsets: ArrayLike<number>;
  byteCounts: ArrayLike<number>;
  littleEndian: boolean;
  /** What a sparse block (no bytes) reads as: the nodata value, as GDAL reads it (0 without one). */
  nodata?: number | null;
}

export function canReadFast(l: BlockLayout): boolean {
  return (
    [1, 8, 32946].includes(l.compression) &&
    (l.predictor === 1 || (l.predictor === 2 && DTYPE_INFO[l.dtype].sampleFormat !== 3)) &&
    (l.planar === 2 || l.bandCount === 1)
  );
}

export async function readFast(l: BlockLayout, w: PixelWindow, bands: number[]): Promise<TypedArray[]> {
  const { ctor } = DTYPE_INFO[l.dtype];
  const out = bands.map(() => new ctor(w.width * w.height));
  const across = Math.ceil(l.width / l.blockWidth);
  const down = Math.ceil(l.height / l.blockHeight);
  const bx0 = Math.floor(w.x / l.blockWidth);
  const bx1 = Math.floor((w.x + w.width - 1) / l.blockWidth);
  const by0 = Math.floor(w.y / l.blockHeight);
  const by1 = Math.floor((w.y + w.height - 1) / l.blockHeight);
  interface Job {
    band: number;
    bx: number;
    by: number;
    index: number;
  }
  const jobs: Job[] = [];
  for (const [bi, band] of bands.entries()) {
    for (let by = by0; by <= by1; by++) {
      for (let bx = bx0; bx <= bx1; bx++) jobs.push({ band: bi, bx, by, index: band * across * down + by * across + bx });
    }
  }
  const fh = await open(l.source, 'r');
  try {
    // Blocks are inflated a batch at a time on libuv's thread pool (parallel, bounded memory); the next
    // batch is already inflating while this one is copied out.
    const BATCH = 16;
    const load = (j: number): Promise<TypedArray[]> => Promise.all(jobs.slice(j, j + BATCH).map((job) => loadBlock(l, fh, job.index, job.by)));
    let next: Promise<TypedArray[]> | undefined = jobs.length > 0 ? load(0) : undefined;
    for (let j = 0; j < jobs.length; j += BATCH) {
      const batch = jobs.slice(j, j + BATCH);
      const blocks = await next!;
      next = j + BATCH < jobs.length ? load(j + BATCH) : undefined;
      // A failure of the batch ahead surfaces when it is awaited; until then it must not count as unhandled.
      next?.catch(() => {});
      batch.forEach((job, k) => {
        const block = blocks[k]!;
        const dst = out[job.band]!;
        const rows = block.length / l.blockWidth;
        const cols = l.blockWidth;
        // Intersect the block with the window and copy rows.
        const gx0 = job.bx * l.blockWidth;
        const gy0 = job.by * l.blockHeight;
        const x0 = Math.max(w.x, gx0);
        const x1 = Math.min(w.x + w.width, gx0 + cols, l.width);
        const y0 = Math.max(w.y, gy0);
        const y1 = Math.min(w.y + w.height, gy0 + rows);
        for (let y = y0; y < y1; y++) {
          const s = (y - gy0) * cols + (x0 - gx0);
          dst.set(block.subarray(s, s + (x1 - x0)), (y - w.y) * w.width + (x0 - w.x));
        }
      });
    }
  } finally {
    await fh.close();
  }
  return out;
}

async function loadBlock(l: BlockLayout, fh: FileHandle, index: number, by: number): Promise<TypedArray> {
  const { ctor, bits } = DTYPE_INFO[l.dtype];
  const bps = bits / 8;
  const offset = Number(l.offsets[index]);
  const count = Number(l.byteCounts[index]);
  // Strips are cut to the image; tiles are always full size.
  const rows = l.tiled ? l.blockHeight : Math.min(l.blockHeight, l.height - by * l.blockHeight);
  const cols = l.blockWidth;
  const size = cols * rows * bps;
  if (count === 0) return new ctor(cols * rows).fill(l.nodata ?? 0); // sparse block: GDAL reads it as nodata
  const raw = Buffer.allocUnsafe(count);
  const { bytesRead } = await fh.read(raw, 0, count, offset);
  if (bytesRead !== count) throw new Error(`block ${index} is truncated: ${bytesRead} of ${count} bytes at offset ${offset}`);
  // One byte more than the block: zlib then ends in one output chunk (an exactly full one makes it allocate a
  // second, empty chunk and concatenate the two, a copy of every block: about twice the inflate's cost).
  const bytes = l.compression === 1 ? raw : await inflate(raw, { chunkSize: Math.max(size + 1, 16 * 1024) });
  if (bytes.length < size) throw new Error(`block ${index} decodes to ${bytes.length} bytes, expected ${size}`);
  // Inflated output is our own buffer: view it in place when aligned, else copy to an aligned one.
  let block: TypedArray;
  if (l.compression !== 1 && bytes.byteOffset % bps === 0) {
    block = typedView(l.dtype, bytes.buffer as ArrayBuffer, bytes.byteOffset, cols * rows);
  } else {
    const copy = new Uint8Array(size);
    copy.set(bytes.subarray(0, size));
    block = typedView(l.dtype, copy.buffer);
  }
  // Big-endian files: samples to native (little-endian) order first; the predictor works on values.
  if (!l.littleEndian && bps > 1) {
    const view = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    if (bps === 2) view.swap16();
    else if (bps === 4) view.swap32();
    else view.swap64();
  }
  if (l.predictor === 2) {
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let i = base + 1; i < base + cols; i++) block[i] = block[i]! + block[i - 1]!;
    }
  }
  return block;
}
