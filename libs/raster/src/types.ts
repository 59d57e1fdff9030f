// Shared raster types: the data types we read and write, and a raster in memory.
import type { Crs } from './crs.ts';

export type DType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';
export type TypedArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** GDAL order: [x0, pixelWidth, rowRotation, y0, colRotation, pixelHeight (negative for north-up)]. */
export type GeoTransform = [number, number, number, number, number, number];

/** A pixel window: column/row offset and size. */
export interface PixelWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Raster {
  width: number;
  height: number;
  /** One array per band, row-major, width * height values each. */
  bands: TypedArray[];
  dtype: DType;
  geoTransform: GeoTransform;
  crs: Crs;
  /** crs.epsg: null for a user-defined CRS with no EPSG equivalent. */
  epsg: number | null;
  nodata: number | null;
}

/**
 * Where a window read lands in arrays the caller holds (larger than the window): the window's pixel (c, r)
 * of the i-th band read goes to `arrays[i][(y + r) * width + x + c]`.
 */
export interface RasterDestination {
  arrays: TypedArray[];
  /** Values per row of each array. */
  width: number;
  x: number;
  y: number;
}

export const DTYPE_INFO: Record<DType, { bits: number; sampleFormat: 1 | 2 | 3; ctor: new (n: number) => TypedArray }> = {
  uint8: { bits: 8, sampleFormat: 1, ctor: Uint8Array },
  int8: { bits: 8, sampleFormat: 2, ctor: Int8Array },
  uint16: { bits: 16, sampleFormat: 1, ctor: Uint16Array },
  int16: { bits: 16, sampleFormat: 2, ctor: Int16Array },
  uint32: { bits: 32, sampleFormat: 1, ctor: Uint32Array },
  int32: { bits: 32, sampleFormat: 2, ctor: Int32Array },
  float32: { bits: 32, sampleFormat: 3, ctor: Float32Array },
  float64: { bits: 64, sampleFormat: 3, ctor: Float64Array },
};

export function dtypeFromTiff(sampleFormat: number, bits: number): DType | null {
  for (const [name, info] of Object.entries(DTYPE_INFO) as [DType, (typeof DTYPE_INFO)[DType]][]) {
    if (info.sampleFormat === sampleFormat && info.bits === bits) return name;
  }
  return null;
}

export function dtypeOf(a: TypedArray): DType {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float32Array) return 'float32';
  return 'float64';
}

/** A typed view of `dtype` over a buffer (default: all of it; its length must be a multiple of the sample size). */
export function typedView(dtype: DType, buffer: ArrayBuffer, byteOffset = 0, length?: number): TypedArray {
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(buffer, byteOffset, length);
    case 'int8':
      return new Int8Array(buffer, byteOffset, length);
    case 'uint16':
      return new Uint16Array(buffer, byteOffset, length);
    case 'int16':
      return new Int16Array(buffer, byteOffset, length);
    case 'uint32':
      return new Uint32Array(buffer, byteOffset, length);
    case 'int32':
      return new Int32Array(buffer, byteOffset, length);
    case 'float32':
      return new Float32Array(buffer, byteOffset, length);
    case 'float64':
      return new Float64Array(buffer, byteOffset, length);
  }
}
