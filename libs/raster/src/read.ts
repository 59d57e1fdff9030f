// GeoTIFF reading through geotiff.js: local files and HTTP(S) COGs (range requests), with the
// georeferencing, CRS, nodata and scale/offset a warp needs. Every error names the file or URL.
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { fromFile, fromUrl } from 'geotiff';
import type { GeoTIFF, GeoTIFFImage } from 'geotiff';
import { HlsError, isRetryableSystemError } from '@hls/common';
import { HLS, LIMITS } from '@hls/contracts/domain';
import type { Crs } from './crs.ts';
import { crsFromGeoKeys, GeoKeyError, parseGeoKeyDirectory } from './geokeys.ts';
import { canReadFast, readFast } from './fast-decode.ts';
import { parseGdalMetadata } from './gdal-metadata.ts';
import { countIfds } from './ifd-chain.ts';
import type { BlockLayout } from './fast-decode.ts';
import { DTYPE_INFO, dtypeFromTiff } from './types.ts';
import type { DType, GeoTransform, PixelWindow, Raster, RasterDestination, TypedArray } from './types.ts';
import { registerZlibDecoder } from './zlib-decoder.ts';

registerZlibDecoder();

/**
 * A GeoTIFF that cannot be read as a georeferenced raster: the message names the file. Not retryable (a corrupt
 * or unsupported file stays so) unless the caller says the cause may pass (a network failure reading a URL).
 */
export class RasterReadError extends HlsError {
  readonly source: string;
  constructor(source: string, message: string, options: { cause?: unknown; retryable?: boolean; code?: string } = {}) {
    super(options.code ?? 'raster-read', `${source}: ${message}`, { retryable: options.retryable ?? false, cause: options.cause });
    this.source = source;
  }
}

/** A read over the memory limit: refused before anything is allocated (a permanent failure). */
export class RasterTooLargeError extends RasterReadError {
  constructor(source: string, message: string) {
    super(source, message, { code: 'raster-too-large' });
  }
}

/** Throw RasterTooLargeError when `width x height x bands` is over `maxPixels` (LIMITS.maxRasterPixels by default). */
export function assertWithinLimit(source: string, what: string, width: number, height: number, bands: number, maxPixels: number = LIMITS.maxRasterPixels): void {
  if (width * height * bands <= maxPixels) return;
  throw new RasterTooLargeError(
    source,
    `${what} of ${width} x ${height} pixels x ${bands} band(s) is over the limit of ${maxPixels} pixels x bands ` +
      `(limits.max_raster_pixels; an HLS band is ${HLS.tilePixels} x ${HLS.tilePixels})`,
  );
}

export interface RasterInfo {
  source: string;
  width: number;
  height: number;
  bandCount: number;
  dtype: DType;
  geoTransform: GeoTransform;
  /** The CRS read from the GeoKeys; a user-defined CRS equal to an EPSG CRS carries that code. */
  crs: Crs;
  /** crs.epsg: the EPSG code, null for a user-defined CRS with no EPSG equivalent. */
  epsg: number | null;
  nodata: number | null;
  /** Per band, from GDAL metadata (SCALE/OFFSET or scale_factor/add_offset); null when absent. */
  scale: (number | null)[];
  offset: (number | null)[];
  /** Per band, the GDAL band description (null when absent). */
  descriptions: (string | null)[];
  /** Dataset items of the GDAL metadata (default domain). */
  metadata: Record<string, string>;
  /** Per band, its GDAL metadata items (default domain). */
  bandMetadata: Record<string, string>[];
  tiled: boolean;
  blockWidth: number;
  blockHeight: number;
  /** Reduced-resolution images after the main one. */
  overviewCount: number;
}

export interface OpenRaster extends RasterInfo {
  /**
   * Read a window (default: whole image) of some bands (0-based; default: all). A read of more than
   * `maxPixels` (pixels x bands; default: the open's) is refused before anything is allocated.
   */
  read(options?: { window?: PixelWindow; bands?: number[]; signal?: AbortSignal; maxPixels?: number }): Promise<Raster>;
  /**
   * Read a window into arrays the caller holds (a tile-sized buffer filled window by window): no array is
   * made for the window, and its values are not copied twice.
   */
  readInto(options: { window: PixelWindow; bands?: number[]; into: RasterDestination; signal?: AbortSignal }): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Extra HTTP headers for remote sources. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Largest read allowed (pixels x bands); default LIMITS.maxRasterPixels. */
  maxPixels?: number;
}

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function openRaster(source: string, options: OpenOptions = {}): Promise<OpenRaster> {
  let tiff: GeoTIFF;
  let fileSize: number | null = null;
  try {
    if (isUrl(source)) {
      tiff = await fromUrl(source, { headers: options.headers ?? {}, allowFullFile: true }, options.signal);
    } else {
      fileSize = (await stat(source)).size;
      tiff = await fromFile(source, options.signal);
    }
  } catch (e) {
    // Opening fails on the file itself (not a TIFF) or on the way to it (a URL's network): only the latter may pass.
    throw new RasterReadError(source, `cannot open as GeoTIFF: ${describe(e)}`, { cause: e, retryable: isRetryableSystemError(e) });
  }
  return (await openTiff(source, tiff, fileSize, !isUrl(source), options)).raster;
}

/**
 * Describe an opened TIFF (checks, georeferencing, block layout) and give its reader. `local`: the file is on
 * disk at `source`, so the fast block decoder may read it. Closes the TIFF when it cannot be read.
 */
export async function openTiff(
  source: string,
  tiff: GeoTIFF,
  fileSize: number | null,
  local: boolean,
  options: OpenOptions = {},
): Promise<{ raster: OpenRaster; layout: BlockLayout }> {
  try {
    // Before geotiff.js follows the chain itself (it would loop forever on a cycle).
    let imageCount: number;
    try {
      imageCount = await countIfds(tiff, fileSize, LIMITS.maxTiffImages, options.signal);
    } catch (e) {
      throw new RasterReadError(source, describe(e), { cause: e });
    }
    const image = await tiff.getImage(0);
    const { info, layout } = await describeImage(source, image, fileSize, imageCount);
    const fast = local && fileSize !== null && canReadFast(layout) ? layout : null;
    if (!fast && !layout.littleEndian && layout.predictor !== 1 && layout.dtype !== 'uint8' && layout.dtype !== 'int8') {
      // geotiff.js undoes the predictor before byte-swapping: it would return wrong values.
      throw new RasterReadError(source, `unsupported layout: big-endian ${layout.dtype} with a predictor and compression ${layout.compression} (or read remotely)`);
    }
    // The fast decoder's file, opened at its first read and kept until close(): a raster read window by window
    // (a tile's chips) is not opened again for each.
    let file: Promise<FileHandle> | undefined;
    const handle = (): Promise<FileHandle> => {
      if (!file) {
        file = open(source, 'r');
        file.catch(() => (file = undefined));
      }
      return file;
    };
    const raster: OpenRaster = {
      ...info,
      read: (o = {}) => readImage(info, image, fast, o.window, o.bands, o.signal, o.maxPixels ?? options.maxPixels, handle),
      readInto: async (o) => {
        await readImage(info, image, fast, o.window, o.bands, o.signal, Infinity, handle, o.into);
      },
      close: async () => {
        tiff.close();
        const f = file;
        file = undefined;
        if (f) await (await f.catch(() => null))?.close();
      },
    };
    return { raster, layout };
  } catch (e) {
    tiff.close();
    if (e instanceof RasterReadError) throw e;
    throw new RasterReadError(source, `not a readable GeoTIFF: ${describe(e)}`, { cause: e });
  }
}

/** Read a window (default: whole image) of a GeoTIFF file or URL, all bands unless `bands` says. */
export async function readRasterWindow(
  source: string,
  window?: PixelWindow,
  options: OpenOptions & { bands?: number[] } = {},
): Promise<Raster> {
  const r = await openRaster(source, options);
  try {
    return await r.read({ window, bands: options.bands, signal: options.signal });
  } finally {
    await r.close();
  }
}

export async function readRasterInfo(source: string, options: OpenOptions = {}): Promise<RasterInfo> {
  const r = await openRaster(source, options);
  await r.close();
  const { read: _read, readInto: _readInto, close: _close, ...info } = r;
  return info;
}

async function describeImage(source: string, image: GeoTIFFImage, fileSize: number | null, imageCount: number): Promise<{ info: RasterInfo; layout: BlockLayout }> {
  const fd = image.getFileDirectory();
  const width = image.getWidth();
  const height = image.getHeight();
  const bandCount = image.getSamplesPerPixel();
  const bits = image.getBitsPerSample(0);
  const sampleFormat = image.getSampleFormat(0);
  const dtype = dtypeFromTiff(sampleFormat, bits);
  if (!dtype) throw new RasterReadError(source, `unsupported sample layout: SampleFormat ${sampleFormat} with ${bits} bits per sample`);
  for (let b = 1; b < bandCount; b++) {
    if (image.getBitsPerSample(b) !== bits || image.getSampleFormat(b) !== sampleFormat) {
      throw new RasterReadError(source, `unsupported layout: band ${b + 1} has a different data type from band 1`);
    }
  }
  const compression = Number((await fd.loadValue('Compression')) ?? 1);
  if (![1, 5, 8, 32946, 32773, 50000].includes(compression)) {
    throw new RasterReadError(source, `unsupported compression ${compression} (supported: none, LZW, DEFLATE, PackBits, ZSTD)`);
  }
  const tiled = fd.hasTag('TileWidth');
  const offsets = (await fd.loadValue(tiled ? 'TileOffsets' : 'StripOffsets')) as ArrayLike<number> | undefined;
  const counts = (await fd.loadValue(tiled ? 'TileByteCounts' : 'StripByteCounts')) as ArrayLike<number> | undefined;
  if (!offsets || !counts || offsets.length !== counts.length) {
    throw new RasterReadError(source, `corrupt file: missing or mismatched ${tiled ? 'tile' : 'strip'} offsets and byte counts`);
  }
  if (fileSize !== null) {
    let end = 0;
    for (let i = 0; i < offsets.length; i++) end = Math.max(end, Number(offsets[i]) + Number(counts[i]));
    if (end > fileSize) {
      throw new RasterReadError(source, `truncated file: image data runs to byte ${end} but the file has ${fileSize} bytes`);
    }
  }
  const geoTransform = await readGeoTransform(source, image);
  const crs = await readCrs(source, image);
  const nodata = image.getGDALNoData();
  const gdalMetadata = parseGdalMetadata((await fd.loadValue('GDAL_METADATA')) as string | undefined, bandCount);
  const layout: BlockLayout = {
    source,
    width,
    height,
    bandCount,
    dtype,
    compression,
    predictor: Number((await fd.loadValue('Predictor')) ?? 1),
    planar: Number((await fd.loadValue('PlanarConfiguration')) ?? 1),
    tiled,
    blockWidth: tiled ? image.getTileWidth() : width,
    blockHeight: image.getTileHeight(),
    offsets,
    byteCounts: counts,
    littleEndian: (image as unknown as { littleEndian: boolean }).littleEndian === true,
    nodata: nodata === null || Number.isNaN(nodata) ? null : nodata,
  };
  const info: RasterInfo = {
    source,
    width,
    height,
    bandCount,
    dtype,
    geoTransform,
    crs,
    epsg: crs.epsg,
    nodata: nodata === null || Number.isNaN(nodata) ? null : nodata,
    scale: gdalMetadata.bands.map((b) => b.scale),
    offset: gdalMetadata.bands.map((b) => b.offset),
    descriptions: gdalMetadata.bands.map((b) => b.description),
    metadata: gdalMetadata.items,
    bandMetadata: gdalMetadata.bands.map((b) => b.items),
    tiled,
    blockWidth: image.getBlockWidth(),
    blockHeight: image.getBlockHeight(0),
    overviewCount: imageCount - 1,
  };
  return { info, layout };
}

async function readGeoTransform(source: string, image: GeoTIFFImage): Promise<GeoTransform> {
  const fd = image.getFileDirectory();
  const tie = (await fd.loadValue('ModelTiepoint')) as ArrayLike<number> | undefined;
  const scale = (await fd.loadValue('ModelPixelScale')) as ArrayLike<number> | undefined;
  const matrix = (await fd.loadValue('ModelTransformation')) as ArrayLike<number> | undefined;
  let gt: GeoTransform;
  if (tie && tie.length >= 6 && scale && scale.length >= 2) {
    if (tie.length > 6) throw new RasterReadError(source, 'unsupported georeferencing: several tie points (GCPs) instead of an affine transform');
    const [i, j, , x, y] = Array.from(tie) as [number, number, number, number, number];
    const [sx, sy] = Array.from(scale) as [number, number];
    gt = [x - i * sx, sx, 0, y + j * sy, 0, -sy];
  } else if (matrix && matrix.length >= 16) {
    const m = Array.from(matrix) as number[];
    gt = [m[3]!, m[0]!, m[1]!, m[7]!, m[4]!, m[5]!];
  } else {
    throw new RasterReadError(source, 'no georeferencing: neither ModelTiepoint+ModelPixelScale nor ModelTransformation');
  }
  // PixelIsPoint: the tie point is a pixel centre; shift to the corner as GDAL does by default.
  if (image.getGeoKeys()?.GTRasterTypeGeoKey === 2) {
    gt = [gt[0] - 0.5 * gt[1] - 0.5 * gt[2], gt[1], gt[2], gt[3] - 0.5 * gt[4] - 0.5 * gt[5], gt[4], gt[5]];
  }
  return gt;
}

async function readCrs(source: string, image: GeoTIFFImage): Promise<Crs> {
  const fd = image.getFileDirectory();
  const directory = (await fd.loadValue('GeoKeyDirectory')) as ArrayLike<number> | undefined;
  if (!directory) throw new RasterReadError(source, 'missing CRS: the file has no GeoKeyDirectory');
  try {
    const doubles = (await fd.loadValue('GeoDoubleParams')) as ArrayLike<number> | undefined;
    const ascii = (await fd.loadValue('GeoAsciiParams')) as string | undefined;
    return crsFromGeoKeys(parseGeoKeyDirectory(directory, doubles, ascii ?? ''));
  } catch (e) {
    if (e instanceof GeoKeyError) throw new RasterReadError(source, e.message, { cause: e });
    throw new RasterReadError(source, `unreadable GeoKeys: ${describe(e)}`, { cause: e });
  }
}

/** A destination must hold the window where it says, in arrays of the raster's type, one per band read. */
function checkDestination(info: RasterInfo, w: PixelWindow, bands: number, into: RasterDestination): void {
  const ctor = DTYPE_INFO[info.dtype].ctor;
  const fits = Number.isInteger(into.x) && Number.isInteger(into.y) && into.x >= 0 && into.y >= 0 && into.x + w.width <= into.width;
  const ok = (a: TypedArray) => a instanceof ctor && (into.y + w.height - 1) * into.width + into.x + w.width <= a.length;
  if (into.arrays.length !== bands || !fits || !into.arrays.every(ok)) {
    throw new RasterReadError(info.source, `a ${w.width}x${w.height} window of ${bands} ${info.dtype} band(s) does not fit its destination (${into.arrays.length} array(s), rows of ${into.width} values, at ${into.x}, ${into.y})`);
  }
}

async function readImage(
  info: RasterInfo,
  image: GeoTIFFImage,
  fast: BlockLayout | null,
  window?: PixelWindow,
  bands?: number[],
  signal?: AbortSignal,
  maxPixels?: number,
  file?: () => Promise<FileHandle>,
  into?: RasterDestination,
): Promise<Raster> {
  const w = window ?? { x: 0, y: 0, width: info.width, height: info.height };
  if (
    !Number.isInteger(w.x) || !Number.isInteger(w.y) || !Number.isInteger(w.width) || !Number.isInteger(w.height) ||
    w.x < 0 || w.y < 0 || w.width <= 0 || w.height <= 0 || w.x + w.width > info.width || w.y + w.height > info.height
  ) {
    throw new RasterReadError(info.source, `window ${JSON.stringify(w)} is not inside the ${info.width}x${info.height} image`);
  }
  const samples = bands ?? [...Array(info.bandCount).keys()];
  for (const b of samples) {
    if (!Number.isInteger(b) || b < 0 || b >= info.bandCount) throw new RasterReadError(info.source, `band index ${b} is not in 0..${info.bandCount - 1}`);
  }
  assertWithinLimit(info.source, w.width === info.width && w.height === info.height ? 'the image' : 'a window', w.width, w.height, samples.length, maxPixels);
  if (into) checkDestination(info, w, samples.length, into);
  let data: TypedArray[];
  try {
    if (fast) {
      data = await readFast(fast, w, samples, file, into);
    } else {
      const result = await image.readRasters({
        window: [w.x, w.y, w.x + w.width, w.y + w.height],
        samples,
        interleave: false,
        signal,
      });
      data = Array.from(result as unknown as ArrayLike<TypedArray>);
    }
  } catch (e) {
    throw new RasterReadError(info.source, `cannot decode image data: ${describe(e)}`, { cause: e });
  }
  const ctor = DTYPE_INFO[info.dtype].ctor;
  for (const d of into && fast ? [] : data) {
    if (!(d instanceof ctor) || d.length !== w.width * w.height) throw new RasterReadError(info.source, 'decoded data has an unexpected type or size');
  }
  if (into && !fast) {
    data.forEach((d, i) => {
      for (let r = 0; r < w.height; r++) into.arrays[i]!.set(d.subarray(r * w.width, (r + 1) * w.width), (into.y + r) * into.width + into.x);
    });
    data = into.arrays;
  }
  const gt = info.geoTransform;
  return {
    width: w.width,
    height: w.height,
    bands: data,
    dtype: info.dtype,
    geoTransform: [gt[0] + w.x * gt[1] + w.y * gt[2], gt[1], gt[2], gt[3] + w.x * gt[4] + w.y * gt[5], gt[4], gt[5]],
    crs: info.crs,
    epsg: info.epsg,
    nodata: info.nodata,
  };
}
