// Numbers and names from the HLS / CDL domain. They live here, once; everything else imports them.

/** The 7 band files of an HLS S30 v2.0 scene the pipeline uses, in the merged-chip order (Fmask last). */
export const BANDS = ['B02', 'B03', 'B04', 'B8A', 'B11', 'B12', 'Fmask'] as const;
export type Band = (typeof BANDS)[number];
/** The six reflectance bands, in the order they stand in each date of a merged chip. */
export const REFLECTANCE_BANDS = ['B02', 'B03', 'B04', 'B8A', 'B11', 'B12'] as const satisfies readonly Band[];
export type ReflectanceBand = (typeof REFLECTANCE_BANDS)[number];
export const FMASK_BAND = 'Fmask' as const satisfies Band;
/** How a band is resampled onto the CDL grid: bilinear for reflectance, nearest for the categorical Fmask. */
export const resamplingOf = (band: Band): 'bilinear' | 'nearest' => (band === FMASK_BAND ? 'nearest' : 'bilinear');

/** Scenes per tile (first, middle, last by date). */
export const SCENES_PER_TILE = 3;
/** Band files a tile needs before it can be chipped: 3 scenes x 7 bands. */
export const BANDS_PER_TILE = SCENES_PER_TILE * BANDS.length;

/** Where band files come from, tried in the configured order for every band. */
export const BAND_SOURCES = ['local', 'ipfs', 'https'] as const;
export type BandSourceName = (typeof BAND_SOURCES)[number];
/** How bands are processed (config `processing`): only the chips' windows, or whole tiles as the original. */
export const PROCESSING_MODES = ['chips', 'tiles'] as const;
export type ProcessingMode = (typeof PROCESSING_MODES)[number];

export const HLS = {
  /** HLS S30 v2.0 reflectance: Int16, scale 0.0001. */
  reflectanceNodata: -9999,
  reflectanceScale: 0.0001,
  fmaskNodata: 255,
  /** Tile side in pixels and metres (30 m pixels). */
  tilePixels: 3660,
  pixelSize: 30,
  tileSizeMetres: 109_800,
  collection: 'HLSS30_2.0',
} as const;

/**
 * Each HLS S30 v2.0 band file's `long_name` GDAL metadata item (reflectance files also carry
 * `scale_factor` 0.0001, `add_offset` 0 and `_FillValue` -9999; Fmask `_FillValue` 255).
 */
export const HLS_BAND_LONG_NAMES: Readonly<Record<Band, string>> = {
  B02: 'Blue',
  B03: 'Green',
  B04: 'Red',
  B8A: 'NIR_Narrow',
  B11: 'SWIR1',
  B12: 'SWIR2',
  Fmask: 'Fmask',
};

/** Fmask values the original pipeline counts as valid (no cloud, shadow, adjacent cloud or snow bits). */
export const VALID_FMASK_VALUES: readonly number[] = [0, 4, 32, 36, 64, 68, 96, 100, 128, 132, 160, 164, 192, 196, 224, 228];

/**
 * Bounds on what untrusted files and peers may make us hold in memory (defaults of the config's `limits`).
 * Each read is also held to what the file should be: a band to an HLS band's size, a CDL read to the chip's
 * window, an IPFS block to the size its parent gives.
 */
export const LIMITS = {
  /** Largest raster decoded at once, pixels x bands: 4 HLS bands' worth (a band is 3660 x 3660, 27 MB as Int16). */
  maxRasterPixels: 4 * HLS.tilePixels * HLS.tilePixels,
  /** Largest IPFS block taken when nothing gives its size (a root): libp2p's 2 MiB (Kubo's chunker makes <= 1 MiB). */
  maxBlockBytes: 2 * 1024 * 1024,
  /** Longest chain of images (IFDs) in a TIFF: an HLS COG has a handful (the band and its overviews). */
  maxTiffImages: 1024,
} as const;

/** The USDA Cropland Data Layer grid: EPSG:5070, 30 m pixels, pixel edges at x0 + 30k, y0 - 30k. */
export const CDL_GRID = {
  crs: 'EPSG:5070',
  epsg: 5070,
  x0: -2_356_095,
  y0: 3_172_605,
  pixelSize: 30,
} as const;

/** Training chips: 224 x 224 px on the CDL grid (6720 m square). */
export const CHIP = { pixels: 224, sizeMetres: 224 * 30 } as const;

/** The 14 output classes (0 = no data) of the reclassified CDL mask. */
export const CLASS_NAMES: readonly string[] = [
  'No Data',
  'Natural Vegetation',
  'Forest',
  'Corn',
  'Soybeans',
  'Wetlands',
  'Developed/Barren',
  'Open Water',
  'Winter Wheat',
  'Alfalfa',
  'Fallow/Idle Cropland',
  'Cotton',
  'Sorghum',
  'Other',
];
export const CLASS_COUNT = CLASS_NAMES.length;

export const QA_RULES = {
  /** A chip is rejected when, in any date, one invalid Fmask value covers this share (percent) or more. */
  maxBadPercent: 5,
  /** Any nodata pixel rejects a chip. */
  maxNodataPixels: 0,
} as const;

/**
 * The scene search window, as identify_hls_scenes.py searches it: `2022-03-01T00:00:00Z/2022-09-30T00:00:00Z`.
 * The end is an instant, so scenes sensed on 30 September (after midnight) are not candidates.
 */
export const SEARCH_WINDOW = { from: '2022-03-01T00:00:00Z', to: '2022-09-30T00:00:00Z' } as const;

export const SELECTION_DEFAULTS = {
  cloudCoverThreshold: 5,
  coverageLevels: [100, 90, 80, 70, 60, 50] as readonly number[],
  minScenes: SCENES_PER_TILE,
} as const;
