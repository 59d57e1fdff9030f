// A fast path for the files we make and meet most (HLS COGs, our own outputs): local, either byte order,
// uncompressed or DEFLATE, predictor 1 or 2, one band per block. Blocks are read with one positioned
// read each, inflated by node:zlib and copied row by row with TypedArray.set; geotiff.js's generic
// path reads each pixel through a DataView, which is several times slower. Anything else falls back.
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { DTYPE_INFO, typedView } from './types.ts';
import type { DType, PixelWindow, RasterDestination, TypedArray } from './types.ts';
import { inflateBlock } from './zlib-blocks.ts';

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

/**
 * `file`: the file, opened once by whoever reads it several times (without it, opened and closed here).
 * `into`: the window is decoded into these arrays (checked by the caller) and they are returned; else into new ones.
 */
export async function readFast(l: BlockLayout, w: PixelWindow, bands: number[], file?: () => Promise<FileHandle>, into?: RasterDestination): Promise<TypedArray[]> {
  const { ctor } = DTYPE_INFO[l.dtype];
  const out = into ? into.arrays : bands.map(() => new ctor(w.width * w.height));
  // Row stride of `out` and where the window's top-left lands in it.
  const [ow, ox, oy] = into ? [into.width, into.x, into.y] : [w.width, 0, 0];
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
  const fh = file ? await file() : await open(l.source, 'r');
  try {
    // Blocks are inflated a batch at a time (large ones on libuv's thread pool: parallel, bounded memory);
    // the next batch is already inflating while this one is copied out. A batch's blocks that lie close together in
    // the file (a band's blocks usually follow each other) are read with one positioned read.
    const batches = batchesOf(l, jobs);
    const load = (b: Job[]): Promise<TypedArray[]> => loadBlocks(l, fh, b);
    let next: Promise<TypedArray[]> | undefined = batches.length > 0 ? load(batches[0]!) : undefined;
    for (let j = 0; j < batches.length; j++) {
      const batch = batches[j]!;
      const blocks = await next!;
      next = j + 1 < batches.length ? load(batches[j + 1]!) : undefined;
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
          dst.set(block.subarray(s, s + (x1 - x0)), (y - w.y + oy) * ow + (x0 - w.x + ox));
        }
      });
    }
  } finally {
    if (!file) await fh.close();
  }
  return out;
}

interface BlockJob {
  index: number;
  by: number;
}

/** Decoded bytes a batch may hold (and at most this many blocks): bounded memory, enough blocks to keep zlib's threads busy. */
const BATCH_BYTES = 4 * 1024 * 1024;
const BATCH_BLOCKS = 64;

function batchesOf<J extends BlockJob>(l: BlockLayout, jobs: readonly J[]): J[][] {
  const blockBytes = l.blockWidth * l.blockHeight * (DTYPE_INFO[l.dtype].bits / 8);
  const per = Math.max(1, Math.min(BATCH_BLOCKS, Math.floor(BATCH_BYTES / blockBytes)));
  const out: J[][] = [];
  for (let j = 0; j < jobs.length; j += per) out.push(jobs.slice(j, j + per));
  return out;
}

/** Blocks closer than this in the file are read together: reading the gap costs less than another read. */
const SPAN_GAP = 64 * 1024;

/** A batch's blocks: their bytes read in as few positioned reads as their places in the file allow, then decoded. */
async function loadBlocks(l: BlockLayout, fh: FileHandle, batch: readonly BlockJob[]): Promise<TypedArray[]> {
  const order = batch.map((_, k) => k).filter((k) => Number(l.byteCounts[batch[k]!.index]) > 0);
  order.sort((a, b) => Number(l.offsets[batch[a]!.index]) - Number(l.offsets[batch[b]!.index]));
  const raws: Buffer[] = new Array(batch.length);
  const reads: Promise<void>[] = [];
  for (let i = 0; i < order.length; ) {
    const start = Number(l.offsets[batch[order[i]!]!.index]);
    let end = start + Number(l.byteCounts[batch[order[i]!]!.index]);
    let j = i + 1;
    for (; j < order.length; j++) {
      const o = Number(l.offsets[batch[order[j]!]!.index]);
      if (o - end > SPAN_GAP) break;
      end = Math.max(end, o + Number(l.byteCounts[batch[order[j]!]!.index]));
    }
    const members = order.slice(i, j);
    reads.push(
      readSpan(fh, start, end - start).then((span) => {
        for (const k of members) {
          const index = batch[k]!.index;
          const o = Number(l.offsets[index]) - start;
          raws[k] = span.subarray(o, o + Number(l.byteCounts[index]));
        }
      }),
    );
    i = j;
  }
  await Promise.all(reads);
  return Promise.all(batch.map((job, k) => decodeBlock(l, raws[k], job.index, job.by)));
}

async function readSpan(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  if (bytesRead !== length) throw new Error(`blocks at bytes ${offset}..${offset + length} are truncated: read ${bytesRead} of ${length} bytes`);
  return buf;
}

/** One block from its stored bytes (`raw` undefined: a sparse block). */
async function decodeBlock(l: BlockLayout, raw: Buffer | undefined, index: number, by: number): Promise<TypedArray> {
  const { ctor, bits } = DTYPE_INFO[l.dtype];
  const bps = bits / 8;
  const count = Number(l.byteCounts[index]);
  // Strips are cut to the image; tiles are always full size.
  const rows = l.tiled ? l.blockHeight : Math.min(l.blockHeight, l.height - by * l.blockHeight);
  const cols = l.blockWidth;
  const size = cols * rows * bps;
  if (count === 0 || !raw) return new ctor(cols * rows).fill(l.nodata ?? 0); // sparse block: GDAL reads it as nodata
  // One byte more than the block: zlib then ends in one output chunk (an exactly full one makes it allocate a
  // second, empty chunk and concatenate the two, a copy of every block: about twice the inflate's cost).
  const bytes = l.compression === 1 ? raw : await inflateBlock(raw, size, { chunkSize: Math.max(size + 1, 16 * 1024) });
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
  if (l.predictor === 2) undoHorizontalPredictor(block, rows, cols, l.dtype);
  return block;
}

/**
 * TIFF predictor 2: each row's values are differences from their left neighbour (integer types only). The
 * running sum stays in a register, wrapped to the type as storing it would; one loop per common type keeps each
 * monomorphic (about twice as fast as re-reading the previous value from the array).
 */
function undoHorizontalPredictor(block: TypedArray, rows: number, cols: number, dtype: DType): void {
  if (dtype === 'int16') return undoInt16(block as Int16Array, rows, cols);
  if (dtype === 'uint16') return undoUint16(block as Uint16Array, rows, cols);
  if (dtype === 'uint8') return undoUint8(block as Uint8Array, rows, cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let i = base + 1; i < base + cols; i++) block[i] = block[i]! + block[i - 1]!;
  }
}

function undoInt16(b: Int16Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let acc = b[base]!;
    for (let i = base + 1; i < base + cols; i++) b[i] = acc = ((acc + b[i]!) << 16) >> 16;
  }
}

function undoUint16(b: Uint16Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let acc = b[base]!;
    for (let i = base + 1; i < base + cols; i++) b[i] = acc = (acc + b[i]!) & 0xffff;
  }
}

function undoUint8(b: Uint8Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let acc = b[base]!;
    for (let i = base + 1; i < base + cols; i++) b[i] = acc = (acc + b[i]!) & 0xff;
  }
}
