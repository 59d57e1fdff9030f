// Our own GeoTIFF writer (geotiff.js writes only uncompressed single strips): tiled or striped,
// DEFLATE + horizontal predictor, multi-band, GeoKeys for EPSG codes, GDAL_NODATA, a palette for
// class masks, GDAL metadata (band descriptions, scale/offset, items), and COG ordering (all IFDs first, then data, smallest overview first) with optional
// overviews. Files are written to a temporary name and renamed, so a reader never sees half a file.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { constants as zlibConstants } from 'node:zlib';
import { encodeGdalMetadata } from './gdal-metadata.ts';
import type { GdalMetadata } from './gdal-metadata.ts';
import { epsgEntry } from './epsg-db.ts';
import { GK } from './geokey-codes.ts';
import type { Crs, GeoKeyEntry } from './crs.ts';
import { DTYPE_INFO, dtypeOf, typedView } from './types.ts';
import type { DType, GeoTransform, TypedArray } from './types.ts';
import { deflateBlock } from './zlib-blocks.ts';

export interface WriteGeoTiffOptions {
  width: number;
  height: number;
  /** One array per band, row-major, width * height values, all of the same type. */
  bands: TypedArray[];
  /** Defaults to the type of the band arrays; must match it. */
  dtype?: DType;
  geoTransform: GeoTransform;
  /** The CRS by EPSG code; or give `crs`. */
  epsg?: number;
  /** The CRS: its GeoKeys when it has them (a user-defined CRS, written as GDAL does), else its EPSG code. */
  crs?: Crs;
  nodata?: number | null;
  /** Palette for a single UInt8 band: up to 256 [r, g, b] entries, 0..255. */
  colorMap?: readonly (readonly [number, number, number])[];
  /** Tiles (default when the image is larger than 512 px either way) or strips. */
  tiled?: boolean;
  /** Tile side in pixels, a multiple of 16 (default 512). */
  blockSize?: number;
  compress?: 'deflate' | 'none';
  /** zlib level 1..9 (default 6). */
  level?: number;
  /**
   * zlib strategy. 'rle' (default with the predictor) only matches runs: on predicted raster data it
   * is about 4x faster than the default strategy for the same size. Either is plain DEFLATE.
   */
  strategy?: 'rle' | 'default';
  /** 'band' = PlanarConfiguration 2 (separate), 'pixel' = 1 (contiguous). Default 'band'. */
  interleave?: 'band' | 'pixel';
  /** Build overviews (factors 2, 4, ... until one fits a tile), COG style. Tiled only. */
  overviews?: boolean;
  /** How overviews are computed; default 'average' (nodata-aware), 'nearest' when a colour map is set. */
  overviewResampling?: 'average' | 'nearest';
  /**
   * The COG layout as GDAL's COG driver writes it (tiled only): the structural-metadata ghost header,
   * and each block with a 4-byte size before it and its last 4 bytes repeated after it, so GDAL
   * reports LAYOUT=COG and readers may fetch a block with its neighbour's size in one request.
   */
  cog?: boolean;
  /** Dataset and band metadata, band descriptions, scale/offset: the GDAL_METADATA tag, as GDAL writes it. */
  gdalMetadata?: GdalMetadata;
  /**
   * Tiled, no overviews: write only these blocks (row-major indices); the others are sparse (offset and
   * byte count 0), which GDAL reads as nodata. For chip windows: a tile-sized file holding only the chips.
   */
  presentBlocks?: readonly number[];
  /**
   * Tiled, no overviews: the image is made one block row at a time. `bands` then hold one block row each
   * (width x min(blockSize, height) values), and fillRows is called just before rows [y0, y1) of band `band`
   * are cut into blocks, to put them in rows [0, y1 - y0) of that array; each block row is compressed on
   * libuv's pool while the next is made, and the image is never whole in memory.
   */
  fillRows?: (band: number, y0: number, y1: number) => void;
}

/** A sparse block: no bytes, offset 0. */
const EMPTY = Buffer.alloc(0);

const T = { BYTE: 1, ASCII: 2, SHORT: 3, LONG: 4, DOUBLE: 12 } as const;
const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 12: 8 };

interface Tag {
  tag: number;
  type: number;
  values: number[];
}

interface Level {
  width: number;
  height: number;
  bands: TypedArray[];
}

interface EncodedLevel {
  width: number;
  height: number;
  chunks: Buffer[];
  tags: Tag[];
}

/** What writeGeoTiff wrote: the file's size and the hex SHA-256 of its bytes (no need to read it back to hash it). */
export interface WrittenFile {
  bytes: number;
  sha256: string;
}

export async function writeGeoTiff(path: string, options: WriteGeoTiffOptions): Promise<WrittenFile> {
  const parts = await encodeParts(options);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeParts(tmp, parts);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new Error(`${path}: cannot write GeoTIFF: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const hash = createHash('sha256');
  let bytes = 0;
  for (const p of parts) {
    hash.update(p);
    bytes += p.length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

function validate(o: WriteGeoTiffOptions): DType {
  const { width, height, bands } = o;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) throw new Error(`bad image size ${width}x${height}`);
  if (bands.length === 0) throw new Error('no bands to write');
  const dtype = o.dtype ?? dtypeOf(bands[0]!);
  const tiled = o.tiled ?? (width > 512 || height > 512);
  if (o.fillRows && (!tiled || o.overviews)) throw new Error('rows filled while writing need a tiled image without overviews (they are made from the whole image first)');
  // Filled while writing: one block row of each band at a time.
  const rows = o.fillRows ? Math.min(o.blockSize ?? 512, height) : height;
  for (const [i, b] of bands.entries()) {
    if (dtypeOf(b) !== dtype) throw new Error(`band ${i + 1} is ${dtypeOf(b)}, expected ${dtype}`);
    if (b.length !== width * rows) throw new Error(`band ${i + 1} has ${b.length} values, expected ${width}x${rows}=${width * rows}`);
  }
  if (o.colorMap) {
    if (dtype !== 'uint8' || bands.length !== 1) throw new Error('a colour map needs a single UInt8 band');
    if (o.colorMap.length > 256) throw new Error('a colour map has at most 256 entries');
  }
  if (o.geoTransform.length !== 6 || o.geoTransform.some((v) => !Number.isFinite(v))) throw new Error('geoTransform must be 6 finite numbers');
  geoKeysOf(o);
  if (o.cog && !(o.tiled ?? (width > 512 || height > 512))) throw new Error('a COG layout needs a tiled image');
  if (o.presentBlocks && (!(o.tiled ?? (width > 512 || height > 512)) || o.overviews || o.cog)) throw new Error('sparse blocks need a tiled image without overviews or COG layout');
  if ((o.gdalMetadata?.bands?.length ?? 0) > bands.length) throw new Error(`GDAL metadata for ${o.gdalMetadata?.bands?.length} bands, the image has ${bands.length}`);
  const bs = o.blockSize ?? 512;
  if (bs % 16 !== 0 || bs <= 0) throw new Error(`block size ${bs} is not a positive multiple of 16`);
  return dtype;
}

/** Encode a GeoTIFF in memory (little-endian classic TIFF). */
export async function encodeGeoTiff(o: WriteGeoTiffOptions): Promise<Buffer> {
  return Buffer.concat(await encodeParts(o));
}

/**
 * The file's bytes in order, as the encoder has them: header and IFDs, then each block (with its COG leader
 * and trailer). Written one after the other, so the blocks are not copied into one buffer first (a band's
 * worth of fresh memory, and a page fault for every 4 KiB of it).
 */
async function encodeParts(o: WriteGeoTiffOptions): Promise<Buffer[]> {
  const dtype = validate(o);
  const info = DTYPE_INFO[dtype];
  const bytesPerSample = info.bits / 8;
  const nb = o.bands.length;
  const tiled = o.tiled ?? (o.width > 512 || o.height > 512);
  const blockSize = o.blockSize ?? 512;
  const compress = o.compress ?? 'deflate';
  const predictor = compress === 'deflate' && info.sampleFormat !== 3 ? 2 : 1;
  const planar = (o.interleave ?? 'band') === 'band' ? 2 : 1;
  const level = o.level ?? 6;
  const strategy = (o.strategy ?? (predictor === 2 ? 'rle' : 'default')) === 'rle' ? zlibConstants.Z_RLE : zlibConstants.Z_DEFAULT_STRATEGY;
  const nodata = o.nodata ?? null;
  const gdalMetadata = encodeGdalMetadata(o.gdalMetadata);

  const levels: Level[] = [{ width: o.width, height: o.height, bands: o.bands }];
  if (o.overviews && tiled) {
    const mode = o.overviewResampling ?? (o.colorMap ? 'nearest' : 'average');
    for (let last = levels[0]!; Math.max(last.width, last.height) > blockSize; last = levels[levels.length - 1]!) {
      levels.push(downsample(last, info.ctor, nodata, mode));
    }
  }

  const encoded: EncodedLevel[] = [];
  for (const [li, lv] of levels.entries()) {
    const bw = tiled ? blockSize : lv.width;
    const rowsPerStrip = tiled ? blockSize : Math.max(1, Math.min(lv.height, Math.floor(65536 / (lv.width * bytesPerSample * (planar === 1 ? nb : 1)))));
    const bh = tiled ? blockSize : rowsPerStrip;
    const across = Math.ceil(lv.width / bw);
    const down = Math.ceil(lv.height / bh);
    // Each block goes to zlib as soon as it is cut out; a large one on libuv's thread pool, so compressing it
    // overlaps the cutting of the next ones.
    const pending: Array<Buffer | Promise<Buffer>> = [];
    const planes = planar === 2 ? nb : 1;
    const present = o.presentBlocks ? new Set(o.presentBlocks) : null;
    // Blocks zlib has finished with, for the next blocks to be cut into: fresh memory costs a page fault per
    // 4 KiB, and a band's blocks are tens of thousands of pages.
    const spare: Buffer[] = [];
    let inFlight = 0;
    for (let p = 0; p < planes; p++) {
      for (let ty = 0; ty < down; ty++) {
        // Between block rows, the compressions that finished come back (and their blocks to `spare`).
        if (inFlight > 0) await new Promise(setImmediate);
        if (li === 0 && o.fillRows) {
          const [y0, y1] = [ty * bh, Math.min(lv.height, (ty + 1) * bh)];
          for (const b of planar === 2 ? [p] : [...Array(nb).keys()]) o.fillRows(b, y0, y1);
        }
        for (let tx = 0; tx < across; tx++) {
          if (present && !present.has(ty * across + tx)) {
            pending.push(EMPTY);
            continue;
          }
          // Strips are cut to the image height; tiles are always full size (padding is ignored by readers).
          const h = tiled ? bh : Math.min(bh, lv.height - ty * bh);
          // A block wholly inside the image has every value written, so it may reuse a spare; one at an edge is
          // fresh, its padding zeros.
          const inside = (tx + 1) * bw <= lv.width && (ty + 1) * bh <= lv.height;
          const raw = extractBlock(lv, dtype, planar === 2 ? [p] : [...Array(nb).keys()], tx * bw, ty * bh, bw, h, predictor === 2, inside ? spare.pop() : undefined, o.fillRows ? ty * bh : 0);
          if (compress !== 'deflate') {
            pending.push(raw);
            continue;
          }
          // An output chunk the block's size (DEFLATE of raster data rarely grows it; if it does, zlib adds a
          // chunk): one chunk, not the 16 KiB default's many, which zlib then concatenates (a third of the cost).
          const z = deflateBlock(raw, { level, strategy, chunkSize: Math.max(raw.length + 64, 16 * 1024) });
          if (!(z instanceof Promise)) {
            if (inside) spare.push(raw);
            pending.push(z);
            continue;
          }
          inFlight++;
          pending.push(
            z.finally(() => {
              inFlight--;
              if (inside) spare.push(raw);
            }),
          );
        }
      }
    }
    const chunks = await Promise.all(pending);
    const tags: Tag[] = [];
    const add = (tag: number, type: number, values: number[]) => tags.push({ tag, type, values });
    if (li > 0) add(254, T.LONG, [1]);
    add(256, T.LONG, [lv.width]);
    add(257, T.LONG, [lv.height]);
    add(258, T.SHORT, new Array<number>(nb).fill(info.bits));
    add(259, T.SHORT, [compress === 'deflate' ? 8 : 1]);
    add(262, T.SHORT, [o.colorMap ? 3 : 1]);
    if (!tiled) add(273, T.LONG, new Array<number>(chunks.length).fill(0));
    add(277, T.SHORT, [nb]);
    if (!tiled) add(278, T.LONG, [rowsPerStrip]);
    if (!tiled) add(279, T.LONG, chunks.map((c) => c.length));
    add(284, T.SHORT, [planar]);
    if (predictor !== 1) add(317, T.SHORT, [predictor]);
    if (o.colorMap) add(320, T.SHORT, colorMapValues(o.colorMap));
    if (tiled) {
      add(322, T.SHORT, [bw]);
      add(323, T.SHORT, [bh]);
      add(324, T.LONG, new Array<number>(chunks.length).fill(0));
      add(325, T.LONG, chunks.map((c) => c.length));
    }
    if (nb > 1) add(338, T.SHORT, new Array<number>(nb - 1).fill(0));
    add(339, T.SHORT, new Array<number>(nb).fill(info.sampleFormat));
    if (li === 0) addGeoTags(add, o.geoTransform, geoKeysOf(o));
    if (li === 0 && gdalMetadata !== null) add(42112, T.ASCII, asciiValues(gdalMetadata, 'utf8'));
    if (nodata !== null) add(42113, T.ASCII, asciiValues(formatNodata(nodata)));
    tags.sort((a, b) => a.tag - b.tag);
    encoded.push({ width: lv.width, height: lv.height, chunks, tags });
  }
  return assemble(encoded, tiled, o.cog === true);
}

/** GDAL's COG ghost header (the text after the TIFF header), padded to an even length. */
function cogGhost(): Buffer {
  const body = 'LAYOUT=IFDS_BEFORE_DATA\nBLOCK_ORDER=ROW_MAJOR\nBLOCK_LEADER=SIZE_AS_UINT4\nBLOCK_TRAILER=LAST_4_BYTES_REPEATED\nKNOWN_INCOMPATIBLE_EDITION=NO\n ';
  const text = `GDAL_STRUCTURAL_METADATA_SIZE=${String(body.length).padStart(6, '0')} bytes\n${body}`;
  return Buffer.from(text.length % 2 ? `${text}\0` : text, 'latin1');
}

function formatNodata(v: number): string {
  return Number.isNaN(v) ? 'nan' : String(v);
}

/** GDAL stores its metadata XML as UTF-8 in the ASCII tag; other ASCII tags here are plain ASCII. */
function asciiValues(s: string, encoding: 'latin1' | 'utf8' = 'latin1'): number[] {
  return [...Buffer.from(`${s}\0`, encoding)];
}

function colorMapValues(map: readonly (readonly [number, number, number])[]): number[] {
  const out = new Array<number>(3 * 256).fill(0);
  map.forEach(([r, g, b], i) => {
    out[i] = Math.round(r) * 257;
    out[256 + i] = Math.round(g) * 257;
    out[512 + i] = Math.round(b) * 257;
  });
  return out;
}

/** The GeoKeys to write (GTRasterTypeGeoKey aside): the CRS's own, or those of its EPSG code. */
function geoKeysOf(o: Pick<WriteGeoTiffOptions, 'epsg' | 'crs'>): readonly GeoKeyEntry[] {
  if (o.epsg !== undefined && o.crs !== undefined) throw new Error('give the CRS as epsg or as crs, not both');
  if (o.crs?.geoKeys) return o.crs.geoKeys;
  const epsg = o.crs ? o.crs.epsg : o.epsg;
  if (epsg === null) throw new Error(`CRS "${o.crs?.name}" has neither an EPSG code nor GeoKeys to write`);
  if (epsg === undefined) throw new Error('no CRS: give epsg or crs');
  if (!Number.isInteger(epsg) || epsg <= 0 || epsg === 32767 || epsg > 65535) throw new Error(`bad EPSG code ${epsg}`);
  return epsgEntry(epsg)?.kind === 'CRS-GEOGCRS'
    ? [{ key: GK.GTModelType, short: 2 }, { key: GK.GeographicType, short: epsg }, { key: GK.GeogAngularUnits, short: 9102 }]
    : [{ key: GK.GTModelType, short: 1 }, { key: GK.ProjectedCSType, short: epsg }, { key: GK.ProjLinearUnits, short: 9001 }];
}

function addGeoTags(add: (tag: number, type: number, values: number[]) => void, gt: GeoTransform, entries: readonly GeoKeyEntry[]): void {
  if (gt[2] === 0 && gt[4] === 0) {
    add(33550, T.DOUBLE, [gt[1], -gt[5], 0]);
    add(33922, T.DOUBLE, [0, 0, 0, gt[0], gt[3], 0]);
  } else {
    add(34264, T.DOUBLE, [gt[1], gt[2], 0, gt[0], gt[4], gt[5], 0, gt[3], 0, 0, 0, 0, 0, 0, 0, 1]);
  }
  // Values go into GeoDoubleParams / GeoAsciiParams in the entries' order (as GDAL sets them); the
  // directory itself is sorted by key id, as the spec requires. Strings end with '|'.
  const doubles: number[] = [];
  let ascii = '';
  const dir: [number, number, number, number][] = [[GK.GTRasterType, 0, 1, 1]];
  for (const e of entries) {
    if (e.key === GK.GTRasterType) continue;
    if ('short' in e) {
      dir.push([e.key, 0, 1, e.short]);
    } else if ('double' in e) {
      dir.push([e.key, 34736, 1, doubles.length]);
      doubles.push(e.double);
    } else {
      const s = `${e.ascii}|`;
      dir.push([e.key, 34737, s.length, ascii.length]);
      ascii += s;
    }
  }
  dir.sort((a, b) => a[0] - b[0]);
  add(34735, T.SHORT, [1, 1, 0, dir.length, ...dir.flat()]);
  if (doubles.length > 0) add(34736, T.DOUBLE, doubles);
  if (ascii.length > 0) add(34737, T.ASCII, asciiValues(ascii));
}

/** Copy one block out of the bands (padding with 0 past the image edge), apply the horizontal predictor. */
function extractBlock(
  lv: Level,
  dtype: DType,
  bandIdx: number[],
  x0: number,
  y0: number,
  bw: number,
  bh: number,
  predict: boolean,
  reuse?: Buffer,
  /** The image row the bands' first row holds (a block row filled while writing). */
  rowBase = 0,
): Buffer {
  const spp = bandIdx.length;
  const n = bw * bh * spp;
  const bytes = n * (DTYPE_INFO[dtype].bits / 8);
  // A spare block's memory when it is this block's size (the caller gives one only where every value is written).
  const out = reuse && reuse.byteLength === bytes ? typedView(dtype, reuse.buffer as ArrayBuffer, reuse.byteOffset, n) : new DTYPE_INFO[dtype].ctor(n);
  const w = Math.min(bw, lv.width - x0);
  const h = Math.min(bh, lv.height - y0);
  if (spp === 1 && predict) {
    cutPredicted(lv.bands[bandIdx[0]!]!, out, lv.width, x0, y0 - rowBase, w, h, bw);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }
  if (spp === 1) {
    const src = lv.bands[bandIdx[0]!]!;
    for (let r = 0; r < h; r++) {
      const start = (y0 - rowBase + r) * lv.width + x0;
      out.set(src.subarray(start, start + w), r * bw);
    }
  } else {
    for (let s = 0; s < spp; s++) {
      const src = lv.bands[bandIdx[s]!]!;
      for (let r = 0; r < h; r++) {
        let si = (y0 - rowBase + r) * lv.width + x0;
        let di = r * bw * spp + s;
        for (let c = 0; c < w; c++, si++, di += spp) out[di] = src[si]!;
      }
    }
  }
  if (predict) {
    // Differences wrap in the integer type, which is what TIFF predictor 2 specifies.
    const row = bw * spp;
    for (let r = 0; r < bh; r++) {
      const base = r * row;
      for (let i = row - 1; i >= spp; i--) out[base + i] = out[base + i]! - out[base + i - spp]!;
    }
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * One band's block cut with predictor 2 applied in the same pass, the previous value kept in a register (the
 * store wraps the difference in the integer type, as the predictor specifies); the same bytes as cutting, then
 * differencing each row over the whole block width: the first padded value differs from the row's last by
 * -last, the rest are 0. Several times faster than the generic path on a whole tile. One loop per common type
 * (the bands the pipeline writes: Int16 reflectance, UInt8 Fmask and masks), each monomorphic: a loop that
 * meets several array types reads and stores each value through a generic path, about 3x slower.
 */
function cutPredicted(src: TypedArray, out: TypedArray, width: number, x0: number, y0: number, w: number, h: number, bw: number): void {
  if (src instanceof Int16Array && out instanceof Int16Array) return cutPredictedInt16(src, out, width, x0, y0, w, h, bw);
  if (src instanceof Uint8Array && out instanceof Uint8Array) return cutPredictedUint8(src, out, width, x0, y0, w, h, bw);
  for (let r = 0; r < h; r++) {
    const si = (y0 + r) * width + x0;
    const di = r * bw;
    let prev = 0;
    for (let c = 0; c < w; c++) {
      const v = src[si + c]!;
      out[di + c] = v - prev;
      prev = v;
    }
    if (w < bw) out[di + w] = -prev;
  }
}

function cutPredictedInt16(src: Int16Array, out: Int16Array, width: number, x0: number, y0: number, w: number, h: number, bw: number): void {
  for (let r = 0; r < h; r++) {
    const si = (y0 + r) * width + x0;
    const di = r * bw;
    let prev = 0;
    for (let c = 0; c < w; c++) {
      const v = src[si + c]!;
      out[di + c] = v - prev;
      prev = v;
    }
    if (w < bw) out[di + w] = -prev;
  }
}

function cutPredictedUint8(src: Uint8Array, out: Uint8Array, width: number, x0: number, y0: number, w: number, h: number, bw: number): void {
  for (let r = 0; r < h; r++) {
    const si = (y0 + r) * width + x0;
    const di = r * bw;
    let prev = 0;
    for (let c = 0; c < w; c++) {
      const v = src[si + c]!;
      out[di + c] = v - prev;
      prev = v;
    }
    if (w < bw) out[di + w] = -prev;
  }
}

/** Halve a level: nodata-aware average (rounded for integers) or nearest (the top-left of each 2x2). */
function downsample(lv: Level, ctor: new (n: number) => TypedArray, nodata: number | null, mode: 'average' | 'nearest'): Level {
  const w = Math.ceil(lv.width / 2);
  const h = Math.ceil(lv.height / 2);
  if (mode === 'average' && ctor === Int16Array) return { width: w, height: h, bands: lv.bands.map((b) => halveAverageInt16(b as Int16Array, lv.width, lv.height, nodata)) };
  const isFloat = ctor === Float32Array || ctor === Float64Array;
  const bands = lv.bands.map((src) => {
    const out = new ctor(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const sx = 2 * x;
        const sy = 2 * y;
        if (mode === 'nearest') {
          out[y * w + x] = src[sy * lv.width + sx]!;
          continue;
        }
        let sum = 0;
        let n = 0;
        for (let dy = 0; dy < 2 && sy + dy < lv.height; dy++) {
          for (let dx = 0; dx < 2 && sx + dx < lv.width; dx++) {
            const v = src[(sy + dy) * lv.width + sx + dx]!;
            if (nodata !== null && (v === nodata || (Number.isNaN(nodata) && Number.isNaN(v)))) continue;
            sum += v;
            n++;
          }
        }
        out[y * w + x] = n === 0 ? (nodata ?? 0) : isFloat ? sum / n : Math.round(sum / n);
      }
    }
    return out;
  });
  return { width: w, height: h, bands };
}

/** downsample's average of an Int16 band (the merged chips' overview), the same values by a monomorphic loop. */
function halveAverageInt16(src: Int16Array, sw: number, sh: number, nodata: number | null): Int16Array {
  const w = Math.ceil(sw / 2);
  const h = Math.ceil(sh / 2);
  const out = new Int16Array(w * h);
  // An Int16 value never equals NaN: with no nodata every value counts.
  const skip = nodata ?? Number.NaN;
  const empty = nodata ?? 0;
  for (let y = 0; y < h; y++) {
    const r0 = 2 * y * sw;
    const r1 = r0 + sw;
    const row1 = 2 * y + 1 < sh;
    for (let x = 0; x < w; x++) {
      const sx = 2 * x;
      const col1 = sx + 1 < sw;
      let sum = 0;
      let n = 0;
      const a = src[r0 + sx]!;
      if (a !== skip) {
        sum += a;
        n++;
      }
      const b = src[r0 + sx + 1]!;
      if (col1 && b !== skip) {
        sum += b;
        n++;
      }
      const c = src[r1 + sx]!;
      if (row1 && c !== skip) {
        sum += c;
        n++;
      }
      const d = src[r1 + sx + 1]!;
      if (row1 && col1 && d !== skip) {
        sum += d;
        n++;
      }
      out[y * w + x] = n === 0 ? empty : Math.round(sum / n);
    }
  }
  return out;
}

function tagValueBytes(t: Tag): number {
  return t.values.length * TYPE_SIZE[t.type]!;
}

/** Lay out header, all IFDs (with their out-of-line values), then data: smallest overview first. */
function assemble(levels: EncodedLevel[], tiled: boolean, cog: boolean): Buffer[] {
  const ghost = cog ? cogGhost() : Buffer.alloc(0);
  const leader = cog ? 4 : 0;
  const ifdSizes = levels.map((lv) => {
    let size = 2 + lv.tags.length * 12 + 4;
    for (const t of lv.tags) {
      const n = tagValueBytes(t);
      if (n > 4) size += n + (n % 2);
    }
    return size;
  });
  const ifdOffsets: number[] = [];
  let pos = 8 + ghost.length;
  for (const s of ifdSizes) {
    ifdOffsets.push(pos);
    pos += s;
  }
  // The head (TIFF header, COG ghost, IFDs) ends here; the blocks follow it.
  const headSize = pos;
  // Data offsets, overviews from smallest to the full image.
  const offsetsOf: number[][] = levels.map(() => []);
  for (let li = levels.length - 1; li >= 0; li--) {
    for (const c of levels[li]!.chunks) {
      if (c.length === 0) {
        offsetsOf[li]!.push(0);
        continue;
      }
      offsetsOf[li]!.push(pos + leader);
      pos += c.length + 2 * leader;
    }
  }
  if (pos > 0xffffffff) throw new Error(`GeoTIFF would be ${pos} bytes: larger than classic TIFF allows`);
  const buf = Buffer.alloc(headSize);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(ifdOffsets[0]!, 4);
  ghost.copy(buf, 8);
  const offsetTag = tiled ? 324 : 273;
  levels.forEach((lv, li) => {
    const start = ifdOffsets[li]!;
    let extra = start + 2 + lv.tags.length * 12 + 4;
    buf.writeUInt16LE(lv.tags.length, start);
    lv.tags.forEach((t, i) => {
      const values = t.tag === offsetTag ? offsetsOf[li]! : t.values;
      const e = start + 2 + i * 12;
      buf.writeUInt16LE(t.tag, e);
      buf.writeUInt16LE(t.type, e + 2);
      buf.writeUInt32LE(values.length, e + 4);
      const n = tagValueBytes(t);
      let at = e + 8;
      if (n > 4) {
        buf.writeUInt32LE(extra, e + 8);
        at = extra;
        extra += n + (n % 2);
      }
      for (const v of values) {
        if (t.type === T.BYTE || t.type === T.ASCII) at = buf.writeUInt8(v, at);
        else if (t.type === T.SHORT) at = buf.writeUInt16LE(v, at);
        else if (t.type === T.LONG) at = buf.writeUInt32LE(v, at);
        else at = buf.writeDoubleLE(v, at);
      }
    });
    buf.writeUInt32LE(li + 1 < levels.length ? ifdOffsets[li + 1]! : 0, start + 2 + lv.tags.length * 12);
  });
  const parts: Buffer[] = [buf];
  for (let li = levels.length - 1; li >= 0; li--) {
    for (const c of levels[li]!.chunks) {
      if (c.length === 0) continue;
      if (!cog) {
        parts.push(c);
        continue;
      }
      const size = Buffer.alloc(4);
      size.writeUInt32LE(c.length, 0);
      // A block shorter than 4 bytes repeats what it has, zero-padded.
      const trailer = Buffer.alloc(4);
      trailer.set(c.subarray(Math.max(0, c.length - 4)));
      parts.push(size, c, trailer);
    }
  }
  return parts;
}

/** The parts one after the other into a new file (writev: the kernel gathers them). */
async function writeParts(path: string, parts: readonly Buffer[]): Promise<void> {
  const fh = await open(path, 'w');
  try {
    const total = parts.reduce((n, p) => n + p.length, 0);
    // libuv writes the whole list (in batches of the system's iovec limit) or fails.
    const { bytesWritten } = await fh.writev(parts as Buffer[]);
    if (bytesWritten !== total) throw new Error(`wrote ${bytesWritten} of ${total} bytes`);
  } finally {
    await fh.close();
  }
}
