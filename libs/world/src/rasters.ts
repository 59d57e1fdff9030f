// HLS-like band files and the CDL raster of the sample world. Fields are rectangles of one land-cover
// class each, so a band is a lookup (class -> reflectance) over a per-tile field map: fast to make with
// typed arrays, and small once DEFLATE + predictor has seen the long runs.
import { BANDS, CDL_GRID, FMASK_BAND, HLS, REFLECTANCE_BANDS, bandFileName, type BBox, type Band, type GranuleId } from '@hls/contracts';
import { seededRandom } from '@hls/geo';
import { CDL_ALBERS_CRS, hlsUtmCrs, writeGeoTiff, type Crs } from '@hls/raster';
import { join } from 'node:path';
import { hlsBandMetadata } from './band-metadata.ts';
import { cdlPalette } from './cdl-colors.ts';
import { chipPixelBox, type PlannedGranule, type PlannedTile } from './plan.ts';

/**
 * HLS band files are COGs: tiled, DEFLATE, internal overviews, GDAL metadata. 256 px tiles give the
 * small test worlds overviews too. Fmask overviews take the nearest value (bit flags do not average).
 * zlib's default strategy: on these bands with overviews it is half the size of RLE in about the same time.
 */
const HLS_COG = { tiled: true, cog: true, blockSize: 256, overviews: true, level: 1, strategy: 'default' } as const;

/** The user-defined UTM CRS HLS files carry (`PROJCS["UTM Zone 15, Northern Hemisphere",...]`) for a tile's EPSG:326zz/327zz. */
export function hlsTileCrs(epsg: number): Crs {
  const south = epsg >= 32701 && epsg <= 32760;
  if (!south && !(epsg >= 32601 && epsg <= 32660)) throw new Error(`world: tile CRS EPSG:${epsg} is not a WGS 84 UTM zone`);
  return hlsUtmCrs(epsg % 100, south);
}

/** Land-cover classes of the imagery (not CDL codes): corn, soy, grass, forest, water, developed, wheat, fallow. */
const COVER = ['corn', 'soy', 'grass', 'forest', 'water', 'developed', 'wheat', 'fallow'] as const;
const COVER_WEIGHTS = [30, 26, 12, 8, 3, 6, 8, 7];
const WATER = COVER.indexOf('water');

/** Peak-season surface reflectance x 10000 per class, bands B02 B03 B04 B8A B11 B12. */
const REFLECTANCE: Record<(typeof COVER)[number], number[]> = {
  corn: [300, 600, 350, 4200, 2200, 1100],
  soy: [320, 650, 380, 3900, 2100, 1000],
  grass: [450, 750, 650, 2800, 2500, 1500],
  forest: [250, 480, 280, 3000, 1500, 700],
  water: [600, 500, 300, 150, 90, 60],
  developed: [900, 1000, 1100, 1900, 2300, 2100],
  wheat: [400, 700, 550, 3200, 2400, 1300],
  fallow: [700, 900, 1100, 2000, 2900, 2400],
};
/** Bare soil, for crops out of season. */
const SOIL = [650, 900, 1150, 1900, 3000, 2600];
const CLOUD = [5200, 5100, 5300, 5600, 4200, 3300];

const FMASK = { clear: 64, water: 96, cloud: 66, shadow: 72 } as const;

function cumulative(weights: readonly number[]): (u: number) => number {
  const total = weights.reduce((a, b) => a + b, 0);
  return (u) => {
    let acc = 0;
    for (let i = 0; i < weights.length; i++) {
      acc += (weights[i] as number) / total;
      if (u < acc) return i;
    }
    return weights.length - 1;
  };
}

/** Field boundaries along one axis: cumulative widths of 20..60 px. */
function strips(n: number, rnd: () => number): Int32Array {
  const of = new Int32Array(n);
  let k = 0;
  let next = 20 + Math.floor(rnd() * 40);
  for (let i = 0; i < n; i++) {
    if (i >= next) {
      k++;
      next = i + 20 + Math.floor(rnd() * 40);
    }
    of[i] = k;
  }
  return of;
}

/** The field map of a raster: per pixel a field variant 0..255 (class * 32 + a per-field brightness jitter). */
export function fieldMap(width: number, height: number, seed: number): Uint8Array {
  const rnd = seededRandom(seed);
  const colOf = strips(width, rnd);
  const rowOf = strips(height, rnd);
  const nCols = (colOf[width - 1] as number) + 1;
  const nRows = (rowOf[height - 1] as number) + 1;
  const pick = cumulative(COVER_WEIGHTS);
  const fields = new Uint8Array(nCols * nRows);
  for (let i = 0; i < fields.length; i++) fields[i] = pick(rnd()) * 32 + Math.floor(rnd() * 32);
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const base = (rowOf[y] as number) * nCols;
    const o = y * width;
    for (let x = 0; x < width; x++) out[o + x] = fields[base + (colOf[x] as number)] as number;
  }
  return out;
}

/** Season factor 0..1 of a crop's green-up on a date (peak in late July). */
function greenness(date: string): number {
  const t = (Date.parse(`${date}T00:00:00Z`) - Date.UTC(2022, 0, 1)) / 86_400_000;
  return Math.max(0, Math.cos(((t - 205) / 120) * Math.PI * 0.5));
}

/** Reflectance lookup (256 field variants) for one band on one date. */
function reflectanceLut(bandIndex: number, date: string): Int16Array {
  const g = greenness(date);
  const lut = new Int16Array(256);
  for (let v = 0; v < 256; v++) {
    const cls = COVER[v >> 5] ?? 'grass';
    const jitter = 0.9 + ((v & 31) / 31) * 0.2;
    const peak = REFLECTANCE[cls][bandIndex] as number;
    const soil = SOIL[bandIndex] as number;
    const crop = cls === 'corn' || cls === 'soy' || cls === 'wheat';
    const val = crop ? soil + (peak - soil) * g : peak;
    lut[v] = Math.round(val * jitter);
  }
  return lut;
}

/** Pixel states of one scene: 0 clear, 1 cloud, 2 shadow, 3 nodata. */
export function sceneStates(tile: PlannedTile, g: PlannedGranule, seed: number): Uint8Array {
  const { width: w, height: h } = tile.raster;
  const st = new Uint8Array(w * h);
  const rnd = seededRandom(seed);
  const disk = (cx: number, cy: number, r: number, v: number): void => {
    const y0 = Math.max(0, Math.floor(cy - r));
    const y1 = Math.min(h - 1, Math.ceil(cy + r));
    for (let y = y0; y <= y1; y++) {
      const dx = Math.sqrt(Math.max(0, r * r - (y - cy) * (y - cy)));
      const x0 = Math.max(0, Math.ceil(cx - dx));
      const x1 = Math.min(w - 1, Math.floor(cx + dx));
      for (let x = x0; x <= x1; x++) if (st[y * w + x] === 0) st[y * w + x] = v;
    }
  };
  // Scattered small clouds with their shadows offset to the south-east: about 1 % of the scene.
  const n = Math.round((w * h * 0.006) / (Math.PI * 8 * 8));
  for (let i = 0; i < n; i++) {
    const cx = rnd() * w;
    const cy = rnd() * h;
    const r = 4 + rnd() * 8;
    disk(cx, cy, r, 1);
    disk(cx + r * 1.5, cy + r * 1.2, r * 0.8, 2);
  }
  // A big cloud (and its shadow) over each chip named: more than 5 % of it is cloud.
  for (const id of g.cloudyChips ?? []) {
    const chip = tile.chips.find((c) => c.id === id);
    if (!chip) continue;
    const [c0, r0, c1, r1] = chipPixelBox(chip, tile);
    const cx = (c0 + c1) / 2;
    const cy = (r0 + r1) / 2;
    disk(cx, cy, 60, 1);
    disk(cx + 70, cy + 50, 45, 2);
  }
  if (g.wedge) {
    const { corner, dir, legs } = g.wedge;
    for (let y = 0; y < h; y++) {
      const dy = (y + 0.5 - corner[1]) * dir[1];
      if (dy >= legs) continue;
      for (let x = 0; x < w; x++) {
        const dx = (x + 0.5 - corner[0]) * dir[0];
        if (dx + dy < legs) st[y * w + x] = 3;
      }
    }
  }
  return st;
}

/** Fmask of a scene: clear (or water) per field, cloud / shadow / fill per pixel state. */
function fmaskPixels(states: Uint8Array, fields: Uint8Array): Uint8Array {
  const out = new Uint8Array(states.length);
  const clearOf = new Uint8Array(256);
  for (let v = 0; v < 256; v++) clearOf[v] = v >> 5 === WATER ? FMASK.water : FMASK.clear;
  const byState = [0, FMASK.cloud, FMASK.shadow, HLS.fmaskNodata];
  for (let i = 0; i < out.length; i++) {
    const s = states[i] as number;
    out[i] = s === 0 ? (clearOf[fields[i] as number] as number) : (byState[s] as number);
  }
  return out;
}

/** One reflectance band of a scene: the field's reflectance on the date, cloud, darkened shadow or -9999. */
function reflectancePixels(band: Band, date: string, states: Uint8Array, fields: Uint8Array, texture: number, seed: number): Int16Array {
  const bi = REFLECTANCE_BANDS.indexOf(band as (typeof REFLECTANCE_BANDS)[number]);
  const lut = reflectanceLut(bi, date);
  const shadow = new Int16Array(256);
  for (let v = 0; v < 256; v++) shadow[v] = Math.round((lut[v] as number) * 0.35);
  const cloud = CLOUD[bi] as number;
  const out = new Int16Array(states.length);
  for (let i = 0; i < out.length; i++) {
    const s = states[i] as number;
    const f = fields[i] as number;
    out[i] = s === 0 ? (lut[f] as number) : s === 1 ? cloud : s === 2 ? (shadow[f] as number) : HLS.reflectanceNodata;
  }
  if (texture > 0) {
    // xorshift32 from the seed, the band and the date: the same world every time.
    let x = (seed * 7919 + bi * 104729 + Number(date.replace(/-/g, ''))) | 0 || 1;
    const span = 2 * texture + 1;
    for (let i = 0; i < out.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const v = out[i] as number;
      if (v !== HLS.reflectanceNodata) out[i] = Math.max(1, v + ((x >>> 0) % span) - texture);
    }
  }
  return out;
}

/** Write the 7 band files of one scene into `dir`; returns the paths. */
export async function writeSceneBands(dir: string, tile: PlannedTile, g: PlannedGranule, fields: Uint8Array, seed: number, texture = 0): Promise<string[]> {
  const { width: w, height: h, x0, y0 } = tile.raster;
  const states = sceneStates(tile, g, seed);
  const geoTransform: [number, number, number, number, number, number] = [x0, HLS.pixelSize, 0, y0, 0, -HLS.pixelSize];
  const paths: string[] = [];
  const crs = hlsTileCrs(tile.epsg);
  const write = async (band: Band): Promise<void> => {
    const path = join(dir, bandFileName(g.granuleId as GranuleId, band));
    const fmask = band === FMASK_BAND;
    await writeGeoTiff(path, {
      ...HLS_COG,
      width: w,
      height: h,
      bands: [fmask ? fmaskPixels(states, fields) : reflectancePixels(band, g.date, states, fields, texture, seed)],
      geoTransform,
      crs,
      nodata: fmask ? HLS.fmaskNodata : HLS.reflectanceNodata,
      ...(fmask ? { overviewResampling: 'nearest' as const } : {}),
      gdalMetadata: hlsBandMetadata(band, tile, g),
    });
    paths.push(path);
  };
  // Two at a time: zlib runs on libuv's pool, the next band's pixels are made meanwhile.
  for (let i = 0; i < BANDS.length; i += 2) await Promise.all(BANDS.slice(i, i + 2).map(write));
  return paths;
}

/** CDL codes used in the world, with weights (real codes from cdl_total_dst.csv). */
const CDL_CODES: Array<[number, number]> = [
  [1, 30], [5, 26], [176, 10], [141, 5], [111, 3], [121, 4], [122, 2], [24, 4], [36, 3], [61, 2], [152, 2], [190, 2], [37, 3], [195, 2], [4, 1], [28, 1],
];

/**
 * The CDL raster on the CDL grid (EPSG:5070, 30 m) over `bbox` (snapped outwards), as the national CDL
 * GeoTIFF is: ESRI's USA_Contiguous_Albers_Equal_Area_Conic_USGS_version (no EPSG code), colour table.
 */
export async function writeCdl(path: string, bbox: BBox, seed: number, allowed: ReadonlySet<number>): Promise<{ bbox: BBox; width: number; height: number }> {
  const ps = CDL_GRID.pixelSize;
  const minX = CDL_GRID.x0 + Math.floor((bbox[0] - CDL_GRID.x0) / ps) * ps;
  const maxX = CDL_GRID.x0 + Math.ceil((bbox[2] - CDL_GRID.x0) / ps) * ps;
  const maxY = CDL_GRID.y0 - Math.floor((CDL_GRID.y0 - bbox[3]) / ps) * ps;
  const minY = CDL_GRID.y0 - Math.ceil((CDL_GRID.y0 - bbox[1]) / ps) * ps;
  const width = Math.round((maxX - minX) / ps);
  const height = Math.round((maxY - minY) / ps);
  const codes = CDL_CODES.filter(([c]) => allowed.has(c));
  if (codes.length === 0) throw new Error('world: none of the CDL codes is in the reclass table');
  const pick = cumulative(codes.map(([, w]) => w));
  const fields = fieldMap(width, height, seed);
  const lut = new Uint8Array(256);
  const rnd = seededRandom(seed ^ 0x5eed);
  for (let v = 0; v < 256; v++) lut[v] = codes[pick(rnd())]![0];
  const out = new Uint8Array(width * height);
  for (let i = 0; i < out.length; i++) out[i] = lut[fields[i] as number] as number;
  await writeGeoTiff(path, { width, height, bands: [out], geoTransform: [minX, ps, 0, maxY, 0, -ps], crs: CDL_ALBERS_CRS, nodata: 0, colorMap: cdlPalette(), level: 1 });
  return { bbox: [minX, minY, maxX, maxY], width, height };
}
