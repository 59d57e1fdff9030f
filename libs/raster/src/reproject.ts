// Reproject a GeoTIFF file onto the CDL grid: read, warp every band, write a tiled DEFLATE GeoTIFF; or, in
// the chips mode, only the chips' windows of it (a sparse file of the same grid).
import { CDL_GRID } from '@hls/contracts/domain';
import { hasValidChecksum, writeChecksum } from './checksum.ts';
import { blockRuns, blocksCovering, chipModeLayout, chipRects, planChipWindows, type Box, type ChipWindowPlan } from './chip-windows.ts';
import { assertWithinLimit, openRaster, RasterReadError, readRasterInfo } from './read.ts';
import type { OpenRaster, RasterInfo } from './read.ts';
import { DTYPE_INFO, type DType, type PixelWindow, type TypedArray } from './types.ts';
import { cdlWindowFor, windowBounds, windowGeoTransform } from './grid.ts';
import type { ExtentMode, GridWindow } from './grid.ts';
import { coordGrid, defaultMaxError, exactPixelTransform, warpWithGrid } from './warp.ts';
import type { CoordGrid, Resampling } from './warp.ts';
import { writeGeoTiff, type WriteGeoTiffOptions, type WrittenFile } from './write.ts';

export interface ReprojectOptions {
  resampling?: Resampling;
  extent?: ExtentMode;
  maxErrorPx?: number;
  /** zlib level of the output (default 6). */
  level?: number;
  /** Largest input or output raster, pixels x bands (default LIMITS.maxRasterPixels). */
  maxPixels?: number;
  /**
   * Chips mode: warp only these boxes (EPSG:5070, the tile's chips) and write a sparse tile-sized file
   * holding only the blocks they touch; the source is read only in the blocks they need.
   */
  chips?: Box[];
  /**
   * The source blocks a partial (ranged) copy of the input holds: a block the chips need that is not
   * among them is an error, never a silent zero.
   */
  availableBlocks?: readonly number[];
  /**
   * Chips mode: the plan the caller made of these chips with chipSourcePlan (the reprojector's handler makes
   * it to check the partial copy). A warp thread then uses it instead of making it again (the grid's exact
   * transforms, about 60 ms a plan); one made for other inputs (another key) is ignored.
   */
  plan?: ChipSourcePlan;
}

/** GDAL metadata item of a chips-mode output: the chip rectangles it holds (JSON), for reuse checks. */
export const CHIP_WINDOWS_ITEM = 'HLS_CHIP_WINDOWS';
/** Block side of a whole-tile output. */
const TILE_BLOCK = 512;

export interface ReprojectResult {
  input: string;
  output: string;
  window: GridWindow;
  /** [minX, minY, maxX, maxY], EPSG:5070. */
  bbox5070: [number, number, number, number];
  /** Largest interpolation error of the coordinate transform found by the check, source pixels. */
  maxTransformError: number;
  /** Chips mode: source blocks decoded and destination pixels warped. */
  blocksRead?: number;
  pixelsWarped?: number;
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

/** What the chips mode reads of a band file (chipSourcePlan). `key` names the inputs it was made from. */
export type ChipSourcePlan = ChipWindowPlan & { window: GridWindow; grid: CoordGrid; key: string };

/**
 * What the chips mode reads of a band file: the tile window and grid the whole-tile warp would use, the
 * chips' rectangles in it and the source blocks they need. The fetcher (which blocks to fetch) and the
 * reprojector (which blocks to decode) both ask this, so they agree. `made`: a plan made before (in another
 * thread: its grid lost its exact transform crossing), used when it was made of the same inputs.
 */
export function chipSourcePlan(
  src: RasterInfo,
  chips: readonly Box[],
  options: { extent?: ExtentMode; resampling?: Resampling; maxErrorPx?: number; made?: ChipSourcePlan } = {},
): ChipSourcePlan {
  const resampling = options.resampling ?? 'bilinear';
  const extent = options.extent ?? 'footprint';
  const maxError = options.maxErrorPx ?? defaultMaxError(resampling);
  // A granule's bands share their georeferencing: the plan (a few thousand exact transforms) is made once.
  const key = JSON.stringify([src.width, src.height, src.geoTransform, src.crs, src.blockWidth, src.blockHeight, chips, extent, resampling, maxError]);
  const known = plans.get(key);
  if (known) return known;
  let plan: ChipSourcePlan;
  if (options.made?.key === key) {
    const { window, grid } = options.made;
    plan = { ...options.made, grid: { ...grid, exact: grid.exact ?? exactPixelTransform(src, window) } };
  } else {
    const window = cdlWindowFor(src, extent);
    const grid = coordGrid(src, window, maxError);
    const blockGrid = { width: src.width, height: src.height, blockWidth: src.blockWidth, blockHeight: src.blockHeight };
    plan = { key, window, grid, ...planChipWindows(blockGrid, window, grid, chips, resampling) };
  }
  plans.set(key, plan);
  if (plans.size > 64) plans.delete(plans.keys().next().value!);
  return plan;
}

/** The plan as a message to another thread carries it: without the grid's exact transform (a function). */
export function sendablePlan(plan: ChipSourcePlan): ChipSourcePlan {
  const { exact: _exact, ...grid } = plan.grid;
  return { ...plan, grid };
}

/** The last plans made (the plan is a pure function of its key). */
const plans = new Map<string, ChipSourcePlan>();

/** Source blocks the chips need that `available` lacks (a partial copy's), ascending. */
export function missingChipBlocks(plan: ChipWindowPlan, available: readonly number[]): number[] {
  const have = new Set(available);
  return plan.blocks.filter((b) => !have.has(b));
}

/** The error for a partial copy without a block the chips need: names the file and the blocks. */
export function missingBlocksError(source: string, missing: readonly number[]): RasterReadError {
  return new RasterReadError(source, `the chips need source block(s) ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''} that this partial copy does not hold`);
}

export async function reprojectFile(input: string, output: string, options: ReprojectOptions = {}): Promise<ReprojectResult> {
  const src = await openRaster(input, { maxPixels: options.maxPixels });
  try {
    const window = checkedReprojectWindow(src, options.extent ?? 'footprint', options.maxPixels);
    const resampling = options.resampling ?? 'bilinear';
    if (options.chips) {
      const plan = chipSourcePlan(src, options.chips, { extent: options.extent, resampling, maxErrorPx: options.maxErrorPx, made: options.plan });
      return await reprojectChipWindows(src, input, output, plan, resampling, options);
    }
    const grid = coordGrid(src, window, options.maxErrorPx ?? defaultMaxError(resampling));
    const raster = await src.read();
    const { ctor } = DTYPE_INFO[src.dtype];
    // One block row of output per band, warped (after being set to nodata) just before the writer cuts it: the
    // rows above are compressing on libuv's pool (the other core) while these are warped, and the output
    // is never whole in memory (fresh memory costs a page fault per 4 KiB).
    const rowsHeld = Math.min(TILE_BLOCK, window.height);
    const bands = raster.bands.map(() => new ctor(window.width * rowsHeld));
    const sources = raster.bands.map((data) => ({ width: src.width, height: src.height, data, dtype: src.dtype, geoTransform: src.geoTransform, crs: src.crs, nodata: src.nodata }));
    const fillRows = (b: number, y0: number, y1: number): void => {
      bands[b]!.fill(src.nodata ?? 0, 0, (y1 - y0) * window.width);
      const outImage = { width: window.width, height: rowsHeld, x: 0, y: -y0 };
      warpWithGrid(sources[b]!, window, grid, { resampling, out: bands[b]!, outImage, rects: [{ x: 0, y: y0, width: window.width, height: y1 - y0 }] });
    };
    const written = await writeOnGrid(output, window, bands, src.nodata, options, { blockSize: TILE_BLOCK, fillRows });
    // After the file: a kill in between leaves no sidecar, so the output is redone, never trusted.
    await writeChecksum(output, written.sha256);
    return { input, output, window, bbox5070: windowBounds(window), maxTransformError: grid.maxError };
  } finally {
    await src.close();
  }
}

/**
 * The chips mode: the same window and grid as the whole-tile warp, but only the source blocks the chips
 * need are decoded (into a tile-sized buffer, so the kernel indexes as it does for the whole tile) and only
 * the chips' pixels are warped: each is the value the tiles mode writes.
 */
async function reprojectChipWindows(
  src: OpenRaster,
  input: string,
  output: string,
  plan: ChipSourcePlan,
  resampling: Resampling,
  options: ReprojectOptions,
): Promise<ReprojectResult> {
  const { window, grid } = plan;
  const blockGrid = { width: src.width, height: src.height, blockWidth: src.blockWidth, blockHeight: src.blockHeight };
  if (options.availableBlocks) {
    const missing = missingChipBlocks(plan, options.availableBlocks);
    if (missing.length > 0) throw missingBlocksError(input, missing);
  }
  // Tile-sized arrays, kept for the next band of this thread: nothing outside the chips' blocks is read
  // (the source's rest is never sampled, the output's rest is never written), so they need no clearing.
  const data = Array.from({ length: src.bandCount }, (_, i) => scratchArray(src.dtype, src.width * src.height, `source ${i}`));
  for (const run of blockRuns(blockGrid, plan.blocks)) await src.readInto({ window: run, into: { arrays: data, width: src.width, x: run.x, y: run.y } });
  const layout = chipModeLayout(window, plan.rects);
  const { image } = layout;
  const outGrid = { width: image.width, height: image.height, blockWidth: layout.blockSize, blockHeight: layout.blockSize };
  const present = blocksCovering(outGrid, layout.rects);
  const dstNodata = src.nodata ?? 0;
  const outImage = { width: image.width, height: image.height, x: layout.x, y: layout.y };
  const bands = data.map((d, i) => {
    const out = scratchArray(src.dtype, image.width * image.height, `output ${i}`);
    // The blocks written hold nodata where no chip is: set them, then warp the chips over them.
    for (const block of blockRuns(outGrid, present)) {
      for (let y = block.y; y < block.y + block.height; y++) out.fill(dstNodata, y * image.width + block.x, y * image.width + block.x + block.width);
    }
    const source = { width: src.width, height: src.height, data: d, dtype: src.dtype, geoTransform: src.geoTransform, crs: src.crs, nodata: src.nodata };
    return warpWithGrid(source, window, grid, { resampling, rects: plan.rects, out, outImage });
  });
  const written = await writeOnGrid(output, image, bands, src.nodata, options, {
    blockSize: layout.blockSize,
    presentBlocks: present,
    gdalMetadata: { items: { [CHIP_WINDOWS_ITEM]: chipWindowsItem(plan.rects) } },
  });
  await writeChecksum(output, written.sha256);
  return {
    input,
    output,
    window,
    bbox5070: windowBounds(window),
    maxTransformError: grid.maxError,
    blocksRead: plan.blocks.length,
    pixelsWarped: plan.rects.reduce((n, r) => n + r.width * r.height, 0),
  };
}

/** A reprojected band file: tiled DEFLATE on the window's CDL-grid georeferencing. */
function writeOnGrid(
  output: string,
  window: GridWindow,
  bands: TypedArray[],
  nodata: number | null,
  options: ReprojectOptions,
  layout: Pick<WriteGeoTiffOptions, 'blockSize' | 'presentBlocks' | 'gdalMetadata' | 'fillRows'>,
): Promise<WrittenFile> {
  return writeGeoTiff(output, {
    width: window.width,
    height: window.height,
    bands,
    geoTransform: windowGeoTransform(window),
    epsg: window.epsg,
    nodata,
    tiled: true,
    level: options.level ?? 6,
    ...layout,
  });
}

const scratch = new Map<string, TypedArray>();
/**
 * A reusable array of `length` values of `dtype` for `use` (one per use, per thread); its contents are whatever
 * was left. It is a view of the largest array asked for so far: a thread warping the bands of two tiles in turn
 * (their windows differ in size by a few pixels) would otherwise allocate, and fault in, ~30 MB for every band.
 */
function scratchArray(dtype: DType, length: number, use: string): TypedArray {
  const key = `${use} ${dtype}`;
  let a = scratch.get(key);
  if (!a || a.length < length) {
    a = new DTYPE_INFO[dtype].ctor(length);
    scratch.set(key, a);
  }
  return a.length === length ? a : a.subarray(0, length);
}

/** The rectangles as a canonical JSON list (sorted), so equal sets compare equal as text. */
function chipWindowsItem(rects: readonly PixelWindow[]): string {
  return JSON.stringify(rects.map((r) => [r.x, r.y, r.width, r.height]).sort((a, b) => a[1]! - b[1]! || a[0]! - b[0]! || a[2]! - b[2]! || a[3]! - b[3]!));
}

/**
 * Whether `path` already holds a complete reprojection of `input`: the bytes we wrote (its `.sha256`
 * sidecar matches), on the CDL grid and covering the window we would write, and (chips mode) holding
 * exactly the chips asked for; a chips-mode file never passes for a whole tile. Anything else means
 * "not valid" (it will be redone).
 */
export async function isValidReprojection(path: string, input: string, extent: ExtentMode = 'footprint', chips?: readonly Box[]): Promise<boolean> {
  if (!(await hasValidChecksum(path))) return false;
  try {
    const [out, src] = await Promise.all([readRasterInfo(path), readRasterInfo(input)]);
    const window = cdlWindowFor(src, extent);
    const gt = out.geoTransform;
    const held = out.metadata[CHIP_WINDOWS_ITEM];
    const rects = chips ? chipRects(window, chips) : undefined;
    const chipsMatch = rects ? held === chipWindowsItem(rects) : held === undefined;
    // A chips-mode file's image is its layout's (the window grown to the chips' lattice when aligned).
    const want = rects ? chipModeLayout(window, rects).image : window;
    return (
      chipsMatch &&
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
