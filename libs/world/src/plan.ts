// The sample world's plan, decided before any raster is written: which real chips (picked with
// @hls/geo's own tile assignment), which tiles, and each tile's candidate granules with their cloud and
// spatial coverage. Scene selection is run here with @hls/stac's selectScenes, so only the scenes the
// pipeline will select get rasters. Everything is a pure function of the seed and the fixtures.
import { HLS, type BBox, type Scene } from '@hls/contracts';
import { applyChoices, assignTiles, buildTileIndex, loadS2Grid, readChipPayload, seededRandom, transformer, type S2Tile } from '@hls/geo';
import { selectScenes } from '@hls/stac';

/** What a tile is for in the demo. */
export type TileRole = 'cascade' | 'even' | 'no-scenes';

export interface WorldOptions {
  seed: number;
  /** Chips per tile role: cascade, even, no-scenes. */
  chipsPerTile: [number, number, number];
  /** 'tile': full 3660 x 3660 HLS tiles; 'chips': only a window around the tile's chips (tests). */
  rasterExtent: 'tile' | 'chips';
  /** The three tiles (cascade, even, no-scenes); adjacent tiles keep the CDL raster small. */
  tiles: [string, string, string];
  /**
   * Per-pixel texture of the reflectance, +- this many DN (default none: each field one value). Real HLS
   * bands are textured and compress to about 25 MB; flat fields compress to about 1 MB, which flatters
   * whatever reads whole files (benchmarks use it).
   */
  texture?: number;
}

export const DEFAULT_WORLD: WorldOptions = {
  seed: 2022,
  chipsPerTile: [20, 20, 6],
  rasterExtent: 'tile',
  tiles: ['15TUL', '15TVL', '15TVK'],
};

/** A small world for tests: few chips, rasters only around them. */
export const SMALL_WORLD: WorldOptions = { ...DEFAULT_WORLD, chipsPerTile: [4, 4, 2], rasterExtent: 'chips' };

export interface PlannedChip {
  id: string;
  bbox5070: BBox;
}

export interface PlannedGranule {
  granuleId: string;
  date: string;
  cloudCover: number;
  spatialCoverage: number;
  /** Slot 0/1/2 when the pipeline will select it. */
  slot?: number;
  /** The nodata wedge of a partial-coverage scene: pixels with (x - x0) * sx + (y - y0) * sy < legs. */
  wedge?: Wedge;
  /** Chips under a big cloud in this scene (they fail QA). */
  cloudyChips?: string[];
}

export interface Wedge {
  corner: [number, number];
  /** +1 / -1: the direction from the corner into the raster. */
  dir: [number, number];
  /** Leg length in pixels (L1 distance from the corner). */
  legs: number;
}

export interface PlannedTile {
  tileId: string;
  role: TileRole;
  epsg: number;
  footprintUtm: BBox;
  /** Raster geotransform origin and size (the whole tile, or a window around the chips). */
  raster: { x0: number; y0: number; width: number; height: number };
  chips: PlannedChip[];
  granules: PlannedGranule[];
  /** Expected selection outcome, from selectScenes. */
  selection: { ok: true; coverageLevel: number; candidates: number; granuleIds: string[] } | { ok: false; detail: string };
}

export interface WorldPlan {
  options: WorldOptions;
  tiles: PlannedTile[];
  /** Every chip's id, in payload order. */
  chipIds: string[];
}

const DOY0 = Date.UTC(2022, 0, 1);
const isoOfDoy = (doy: number): string => new Date(DOY0 + (doy - 1) * 86_400_000).toISOString().slice(0, 10);

function granuleId(tile: string, doy: number, rnd: () => number): string {
  const hh = 16 + Math.floor(rnd() * 2);
  const mm = Math.floor(rnd() * 60);
  const ss = Math.floor(rnd() * 60);
  const t = `${String(hh).padStart(2, '0')}${String(mm).padStart(2, '0')}${String(ss).padStart(2, '0')}`;
  return `HLS.S30.T${tile}.2022${String(doy).padStart(3, '0')}T${t}.v2.0`;
}

/** `n` acquisition days spread over March..September 2022 (DOY 60..272), jittered, increasing. */
function seasonDays(n: number, rnd: () => number): number[] {
  const [a, b] = [62, 270];
  const step = (b - a) / n;
  return Array.from({ length: n }, (_, i) => Math.round(a + step * i + rnd() * (step - 3)));
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

/** Pixel corners of a chip box in a tile raster (UTM), as [minCol, minRow, maxCol, maxRow]. */
export function chipPixelBox(chip: PlannedChip, tile: Pick<PlannedTile, 'epsg' | 'raster'>): [number, number, number, number] {
  const t = transformer(5070, tile.epsg);
  const [a, b, c, d] = chip.bbox5070;
  const pts = [t([a, b]), t([a, d]), t([c, b]), t([c, d])];
  const cols = pts.map(([x]) => (x - tile.raster.x0) / HLS.pixelSize);
  const rows = pts.map(([, y]) => (tile.raster.y0 - y) / HLS.pixelSize);
  return [Math.floor(Math.min(...cols)), Math.floor(Math.min(...rows)), Math.ceil(Math.max(...cols)), Math.ceil(Math.max(...rows))];
}

/** The smallest corner wedge that cuts 24 px deep into some chip; its share of the raster. */
function planWedge(tile: PlannedTile): { wedge: Wedge; fraction: number } {
  const { width: w, height: h } = tile.raster;
  let best: { wedge: Wedge; fraction: number } | undefined;
  const corners: Array<[[number, number], [number, number]]> = [
    [[0, 0], [1, 1]],
    [[w, 0], [-1, 1]],
    [[0, h], [1, -1]],
    [[w, h], [-1, -1]],
  ];
  for (const [corner, dir] of corners) {
    for (const chip of tile.chips) {
      const [c0, r0, c1, r1] = chipPixelBox(chip, tile);
      // The chip's pixel nearest the corner, in the L1 metric the wedge is cut by.
      const nx = dir[0] > 0 ? c0 : c1;
      const ny = dir[1] > 0 ? r0 : r1;
      const legs = Math.abs(nx - corner[0]) + Math.abs(ny - corner[1]) + 24;
      const fraction = (legs * legs) / 2 / (w * h);
      if (!best || fraction < best.fraction) best = { wedge: { corner, dir, legs }, fraction };
    }
  }
  if (!best) throw new Error(`tile ${tile.tileId} has no chips to plan a nodata wedge on`);
  return best;
}

function asScene(tileId: string, g: PlannedGranule): Scene {
  return {
    granuleId: g.granuleId,
    tileId,
    date: g.date,
    cloudCover: g.cloudCover,
    spatialCoverage: g.spatialCoverage,
    bands: [],
  } as unknown as Scene;
}

/** The granules of one tile, by role. */
function planGranules(tile: PlannedTile, rnd: () => number): void {
  const clear = (): number => round1(rnd() * 4.5);
  const cloudy = (): number => round1(12 + rnd() * 70);
  let specs: Array<{ cloud: number; cov: number; wedge?: boolean }>;
  if (tile.role === 'cascade') {
    // Clear at 100 %: 2 (not enough); a partial scene (the wedge) and a 9x % scene join at the 90/80...
    // level, so 4 candidates: even count, the lower middle (the partial scene) is picked.
    const { wedge, fraction } = planWedge(tile);
    const cov = Math.max(50, Math.floor(100 * (1 - fraction) * 10) / 10);
    const other = round1(cov + (100 - cov) * (0.3 + rnd() * 0.5));
    specs = [
      { cloud: clear(), cov: 100 },
      { cloud: cloudy(), cov: 100 },
      { cloud: clear(), cov, wedge: true },
      { cloud: cloudy(), cov: 100 },
      { cloud: clear(), cov: Math.min(99.9, other) },
      { cloud: clear(), cov: round1(20 + rnd() * 25) },
      { cloud: cloudy(), cov: round1(60 + rnd() * 40) },
      { cloud: clear(), cov: 100 },
    ];
    const scenesWithWedge = specs.map((s) => ({ ...s, w: s.wedge ? wedge : undefined }));
    const days = seasonDays(specs.length, rnd);
    tile.granules = scenesWithWedge.map((s, i) => ({
      granuleId: granuleId(tile.tileId, days[i] as number, rnd),
      date: isoOfDoy(days[i] as number),
      cloudCover: s.cloud,
      spatialCoverage: s.cov,
      ...(s.w ? { wedge: s.w } : {}),
    }));
  } else {
    specs =
      tile.role === 'even'
        ? [
            // 4 clear full-coverage scenes among cloudy ones: level 100, even count.
            { cloud: cloudy(), cov: 100 },
            { cloud: clear(), cov: 100 },
            { cloud: clear(), cov: 100 },
            { cloud: cloudy(), cov: 100 },
            { cloud: clear(), cov: 100 },
            { cloud: clear(), cov: round1(70 + rnd() * 20) },
            { cloud: clear(), cov: 100 },
          ]
        : [
            // Never 3 clear scenes with >= 50 % coverage: the tile's chips end "no-scenes".
            { cloud: cloudy(), cov: 100 },
            { cloud: clear(), cov: 100 },
            { cloud: cloudy(), cov: 100 },
            { cloud: clear(), cov: round1(15 + rnd() * 30) },
            { cloud: cloudy(), cov: round1(50 + rnd() * 50) },
            { cloud: clear(), cov: 100 },
          ];
    const days = seasonDays(specs.length, rnd);
    tile.granules = specs.map((s, i) => ({
      granuleId: granuleId(tile.tileId, days[i] as number, rnd),
      date: isoOfDoy(days[i] as number),
      cloudCover: s.cloud,
      spatialCoverage: s.cov,
    }));
  }
  const r = selectScenes(tile.granules.map((g) => asScene(tile.tileId, g)));
  if (r.ok) {
    const ids = r.scenes.map((s) => s.granuleId);
    for (const g of tile.granules) {
      const slot = (ids as string[]).indexOf(g.granuleId);
      if (slot >= 0) g.slot = slot;
    }
    tile.selection = { ok: true, coverageLevel: r.coverageLevel, candidates: r.candidates.length, granuleIds: ids };
  } else tile.selection = { ok: false, detail: r.detail };
  // Selected scenes keep no wedge unless selected: the wedge only matters where pixels are written.
  if (tile.role === 'even' && r.ok) {
    // One chip under a big cloud in the middle date: it fails QA.
    const mid = tile.granules.find((g) => g.slot === 1);
    const victim = tile.chips[Math.floor(rnd() * tile.chips.length)];
    if (mid && victim) mid.cloudyChips = [victim.id];
  }
}

/** Raster extent: the tile's footprint, or a window (on the tile's 30 m lattice) around its chips. */
function rasterFor(tile: S2Tile, chips: PlannedChip[], extent: WorldOptions['rasterExtent']): PlannedTile['raster'] {
  const [minX, , , maxY] = tile.footprintUtm;
  const full = { x0: minX, y0: maxY, width: HLS.tilePixels, height: HLS.tilePixels };
  if (extent === 'tile' || chips.length === 0) return full;
  const probe = { epsg: tile.epsg, raster: full };
  const boxes = chips.map((c) => chipPixelBox(c, probe));
  const margin = 40;
  const c0 = Math.max(0, Math.min(...boxes.map((b) => b[0])) - margin);
  const r0 = Math.max(0, Math.min(...boxes.map((b) => b[1])) - margin);
  const c1 = Math.min(HLS.tilePixels, Math.max(...boxes.map((b) => b[2])) + margin);
  const r1 = Math.min(HLS.tilePixels, Math.max(...boxes.map((b) => b[3])) + margin);
  return { x0: minX + c0 * HLS.pixelSize, y0: maxY - r0 * HLS.pixelSize, width: c1 - c0, height: r1 - r0 };
}

/**
 * Pick the chips: per tile, the real chips the grid assigns to it that lie nearest the point where the
 * three tiles meet (so one small CDL raster covers them all), then plan every tile's granules.
 */
export async function planWorld(o: WorldOptions, fixtures: { payload: string; gridKml: string }): Promise<WorldPlan> {
  const payload = await readChipPayload(fixtures.payload);
  const grid = await loadS2Grid(fixtures.gridKml, { cacheFile: false });
  const r = applyChoices(payload, grid, assignTiles(buildTileIndex(grid), payload.chips));
  const groups = o.tiles.map((name) => {
    const g = r.tiles.find((t) => t.tile.name === name);
    if (!g) throw new Error(`world: no chip of ${fixtures.payload} is assigned tile ${name} by the grid ${fixtures.gridKml}`);
    return g;
  });
  const byId = new Map(r.assigned.map((a) => [a.chip.id as string, a.chip]));
  // The focal point: the mean of the three tiles' chip centroids (EPSG:5070).
  const centroid = (ids: readonly string[]): [number, number] => {
    const cs = ids.map((id) => byId.get(id)!.center5070);
    return [cs.reduce((s, c) => s + c[0], 0) / cs.length, cs.reduce((s, c) => s + c[1], 0) / cs.length];
  };
  const cents = groups.map((g) => centroid(g.chipIds));
  const focal: [number, number] = [cents.reduce((s, c) => s + c[0], 0) / 3, cents.reduce((s, c) => s + c[1], 0) / 3];
  const roles: TileRole[] = ['cascade', 'even', 'no-scenes'];
  const rnd = seededRandom(o.seed);
  const tiles: PlannedTile[] = groups.map((g, i) => {
    const want = o.chipsPerTile[i] as number;
    if (g.chipIds.length < want) throw new Error(`world: tile ${g.tile.name} has ${g.chipIds.length} chips, ${want} wanted`);
    const dist = (id: string): number => {
      const c = byId.get(id)!.center5070;
      return Math.hypot(c[0] - focal[0], c[1] - focal[1]);
    };
    const chips = [...g.chipIds]
      .sort((a, b) => dist(a) - dist(b) || (a < b ? -1 : 1))
      .slice(0, want)
      .sort()
      .map((id) => ({ id, bbox5070: byId.get(id)!.bbox5070 as BBox }));
    const tile: PlannedTile = {
      tileId: g.tile.name,
      role: roles[i] as TileRole,
      epsg: g.tile.epsg,
      footprintUtm: g.tile.footprintUtm as BBox,
      raster: rasterFor(g.tile, chips, o.rasterExtent),
      chips,
      granules: [],
      selection: { ok: false, detail: 'not planned' },
    };
    planGranules(tile, rnd);
    return tile;
  });
  const want = new Set(tiles.flatMap((t) => t.chips.map((c) => c.id)));
  return { options: o, tiles, chipIds: payload.chips.map((c) => c.id as string).filter((id) => want.has(id)) };
}

/** Sanity of the plan against the demo's promises; throws naming what does not hold. */
export function checkPlan(plan: WorldPlan): void {
  const [a, b, c] = plan.tiles;
  if (!a?.selection.ok || !b?.selection.ok) throw new Error('world plan: the cascade and even tiles must have 3 selected scenes');
  if (a.selection.coverageLevel === 100) throw new Error(`world plan: tile ${a.tileId} should select below 100 % coverage`);
  if (a.selection.candidates % 2 !== 0 || b.selection.candidates % 2 !== 0) throw new Error('world plan: even candidate counts expected');
  if (c?.selection.ok) throw new Error(`world plan: tile ${c.tileId} must have no qualifying scenes`);
  if (!a.granules.some((g) => g.wedge && g.slot !== undefined)) throw new Error(`world plan: tile ${a.tileId}'s partial scene is not selected`);
}
