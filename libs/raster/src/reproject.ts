// Reproject a GeoTIFF file onto the CDL grid: read, warp every band, write a tiled DEFLATE COG.
import { CDL_GRID } from '@hls/contracts/domain';
import { hasValidChecksum, writeChecksum } from './checksum.ts';
import { assertWithinLimit, openRaster, readRasterInfo } from './read.ts';
import type { RasterInfo } from './read.ts';
import { cdlWindowFor, windowBounds, windowGeoTransform } from './grid.ts';
import type { ExtentMode, GridWindow } from './grid.ts';
import { coordGrid, defaultMaxError, warpWithGrid } from './warp.ts';
import type { Resampling } from './warp.ts';
import { writeGeoTiff } from './write.ts';

export interface ReprojectOptions {
  resampling?: Resampling;
  extent?: ExtentMode;
  maxErrorPx?: number;
  /** zlib level of the output (default 6). */
  level?: number;
  /** Largest input or output raster, pixels x bands (default LIMITS.maxRasterPixels). */
  maxPixels?: number;
}

export interface ReprojectResult {
  input: string;
  output: string;
  window: GridWindow;
  /** [minX, minY, maxX, maxY], EPSG:5070. */
  bbox5070: [number, number, number, number];
  /** Largest interpolation error of the coordinate transform found by the check, source pixels. */
  maxTransformError: number;
}

/**
 * The CDL-grid window `src` reprojects to, after checking that neither the input (read whole) nor the
 * output is over `maxPixels`: RasterTooLargeError in one line, before any big allocation.
 */
export function checkedReprojectWindow(src: RasterInfo, extent: ExtentMode = 'footprint', maxPixels?: number): GridWindow {
  assertWithinLimit(src.source, 'the input', src.width, src.height, src.bandCount, maxPixels);
  const window = cdlWindowFor(src, extent);
  assertWithinLimit(src.source, 'the reprojected output', window.width, window.height, src.bandCount, maxPixels);
  return window;
}

export async function reprojectFile(input: string, output: string, options: ReprojectOptions = {}): Promise<ReprojectResult> {
  const src = await openRaster(input, { maxPixels: options.maxPixels });
  try {
    const window = checkedReprojectWindow(src, options.extent ?? 'footprint', options.maxPixels);
    const raster = await src.read();
    const resampling = options.resampling ?? 'bilinear';
    const grid = coordGrid(src, window, options.maxErrorPx ?? defaultMaxError(resampling));
    const bands = raster.bands.map((data) =>
      warpWithGrid({ width: src.width, height: src.height, data, dtype: src.dtype, geoTransform: src.geoTransform, crs: src.crs, nodata: src.nodata }, window, grid, { resampling }),
    );
    await writeGeoTiff(output, {
      width: window.width,
      height: window.height,
      bands,
      geoTransform: windowGeoTransform(window),
      epsg: window.epsg,
      nodata: src.nodata,
      tiled: true,
      blockSize: 512,
      level: options.level ?? 6,
    });
    // After the file: a kill in between leaves no sidecar, so the output is redone, never trusted.
    await writeChecksum(output);
    return { input, output, window, bbox5070: windowBounds(window), maxTransformError: grid.maxError };
  } finally {
    await src.close();
  }
}

/**
 * Whether `path` already holds a complete reprojection of `input`: the bytes we wrote (its `.sha256`
 * sidecar matches), on the CDL grid and covering the window we would write. Anything else means
 * "not valid" (it will be redone).
 */
export async function isValidReprojection(path: string, input: string, extent: ExtentMode = 'footprint'): Promise<boolean> {
  if (!(await hasValidChecksum(path))) return false;
  try {
    const [out, src] = await Promise.all([readRasterInfo(path), readRasterInfo(input)]);
    const want = cdlWindowFor(src, extent);
    const gt = out.geoTransform;
    return (
      out.epsg === CDL_GRID.epsg &&
      out.width === want.width &&
      out.height === want.height &&
      gt[0] === want.minX &&
      gt[3] === want.maxY &&
      gt[1] === CDL_GRID.pixelSize &&
      gt[5] === -CDL_GRID.pixelSize &&
      out.bandCount === src.bandCount &&
      out.dtype === src.dtype
    );
  } catch {
    return false;
  }
}
