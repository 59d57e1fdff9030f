// Chip index benchmarks (figures printed, no assertions):
//  1. the ESA grid KML at full size (108 MB, 56,686 Placemarks, built from the fixture's real Placemarks):
//     parse time and RSS, then the compact cache's load time;
//  2. 100,000 chips on the CDL lattice across CONUS assigned against a whole-world Sentinel-2-like grid
//     (86,880 synthetic 109.8 km UTM squares) and against the real LAND grid (20,430 tiles, GeoParquet).
// Run: node bench/geo/assign.bench.ts   (generated data goes to a temp dir and is removed)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CDL_GRID, CHIP, type BBox, type ChipId } from '@hls/contracts';
import { assignTiles, buildTileIndex, chipBoxAt, loadS2Grid, readS2GridKml, replicateKml, syntheticWorldGrid } from '@hls/geo';
import { REAL_FIXTURES } from '@hls/common';
import { seededRandom } from '@hls/common';

const GRID_KML = `${REAL_FIXTURES}/s2-grid/sentinel_tile_grid_subset.reconstructed.kml`;
const GRID_PARQUET = `${REAL_FIXTURES}/s2-grid/sentinel-2-grid_LAND.parquet`;
const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
const secs = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(2)} s`;

const rng = seededRandom;

const dir = await mkdtemp(join(tmpdir(), 'bench-geo-'));
try {
  const kml = join(dir, 'sentinel_tile_grid.kml');
  let t0 = performance.now();
  const bytes = await replicateKml(GRID_KML, kml, 56_686, 108_817_408);
  console.log(`generated ${mb(bytes)} KML in ${secs(t0)}`);
  const rss0 = process.memoryUsage().rss;
  t0 = performance.now();
  const tiles = await readS2GridKml(kml);
  console.log(`KML parse: ${tiles.length} placemarks in ${secs(t0)}, rss ${mb(process.memoryUsage().rss)} (start ${mb(rss0)}), max rss ${mb(process.resourceUsage().maxRSS * 1024)}`);
  const cache = join(dir, 'grid.json');
  await loadS2Grid(kml, { cacheFile: cache });
  t0 = performance.now();
  const cached = await loadS2Grid(kml, { cacheFile: cache });
  console.log(`cached grid load: ${cached.length} tiles in ${secs(t0)}`);

  t0 = performance.now();
  const world = syntheticWorldGrid();
  console.log(`synthetic world grid: ${world.length} tiles in ${secs(t0)}`);
  // CONUS CDL raster: 153,811 x 96,523 px from the grid origin -> 686 x 430 chip lattice cells.
  const cols = Math.floor(153_811 / CHIP.pixels);
  const rows = Math.floor(96_523 / CHIP.pixels);
  const rand = rng(42);
  const picked = new Set<number>();
  while (picked.size < 100_000) picked.add(Math.floor(rand() * rows * cols));
  const chips = [...picked].map((k) => {
    const row = Math.floor(k / cols);
    const col = k % cols;
    return { id: `chip_${row}_${col}` as ChipId, bbox5070: chipBoxAt(row, col) as BBox };
  });
  console.log(`chips: ${chips.length} on the CDL lattice (origin ${CDL_GRID.x0}, ${CDL_GRID.y0})`);
  t0 = performance.now();
  const index = buildTileIndex(world);
  console.log(`index build (parts + naive centroids): ${secs(t0)}`);
  t0 = performance.now();
  const choices = assignTiles(index, chips);
  const took = (performance.now() - t0) / 1000;
  const none = choices.filter((c) => c.tile < 0).length;
  const differ = choices.filter((c) => c.tile >= 0 && c.naiveTile !== c.tile).length;
  console.log(`assign (synthetic world grid): ${chips.length} chips in ${took.toFixed(2)} s (${(chips.length / took) | 0} chips/s); no-tile ${none}; naive rule differs for ${differ}`);
  t0 = performance.now();
  const land = await loadS2Grid(GRID_PARQUET);
  const landIndex = buildTileIndex(land);
  console.log(`real LAND grid: ${land.length} tiles read and indexed in ${secs(t0)}`);
  t0 = performance.now();
  const c2 = assignTiles(landIndex, chips);
  const took2 = (performance.now() - t0) / 1000;
  const none2 = c2.filter((c) => c.tile < 0).length;
  const differ2 = c2.filter((c) => c.tile >= 0 && c.naiveTile !== c.tile).length;
  console.log(`assign (real LAND grid): ${chips.length} chips in ${took2.toFixed(2)} s (${(chips.length / took2) | 0} chips/s); no-tile ${none2} (CDL lattice cells off the land grid); naive rule differs for ${differ2}`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
