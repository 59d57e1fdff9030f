// Chip windows on whole runs: the demo world (20 chips on each full 3660 x 3660 tile) and a world at the
// published dataset's density (8 chips per tile), each run in the chips mode and in the tiles mode from a
// fresh dataset (bands over the local IPFS gateway, as the demo). Each run is its own process (cold, as a
// user's `hls-chips run` is, and started as it is: run-once.mjs), the modes alternate, and each is run --reps times (default 2): per mode, the
// median and range of the run's wall seconds, its CPU seconds (every thread of the process) and bytes
// fetched; the chips mode's least bytes (the blocks its chips need plus headers by exact ranges; over IPFS
// the whole 256 KiB leaves holding them); and gdalwarp (its defaults) of one tile's bands whole (the
// original's method; its clip is negligible) scaled to the run's tiles. `--worlds 0,2` runs some of them. Peak RSS: the largest of the run
// processes (all eight services in one process bound any one service's).
// `node bench/chips/windows.ts [--reps N] [--keep DIR]`
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPartialCopy } from '@hls/raster';
import { DEFAULT_WORLD, ensureWorld, type WorldOptions } from '@hls/world';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const reps = Number(opt('--reps') ?? 2);
const keep = opt('--keep');
const only = opt('--worlds')?.split(',').map(Number);
const LEAF = 256 * 1024;
const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

interface Least {
  exact: number;
  leaves: number;
  files: number;
}

/** What the chips mode's partial copies hold, and the IPFS leaves those bytes sit in. */
async function leastBytes(datasetDir: string): Promise<Least> {
  const tiles = join(datasetDir, 'tiles');
  const out: Least = { exact: 0, leaves: 0, files: 0 };
  for (const g of readdirSync(tiles)) {
    for (const f of readdirSync(join(tiles, g)).filter((n) => n.endsWith('.tif'))) {
      const held = await readPartialCopy(join(tiles, g, f));
      if (!held) continue;
      out.files++;
      const leaves = new Set<number>();
      for (const [o, l] of held.ranges) {
        out.exact += l;
        for (let k = Math.floor(o / LEAF); k * LEAF < o + l; k++) leaves.add(k);
      }
      // The last leaf holds the file's tail only.
      for (const k of leaves) out.leaves += Math.min(LEAF, held.size - k * LEAF);
    }
  }
  return out;
}

/** Seconds gdalwarp takes (its defaults, as the original's rasterio warp) for one tile's bands, whole (bilinear; nearest for Fmask). */
function gdalwarpTile(granuleDir: string, outDir: string): { seconds: number; bands: number } {
  // One tile's three granules (the world's granule folders are named HLS.S30.T<tile>....).
  const all = readdirSync(granuleDir).sort();
  const tile = all[0]!.split('.')[2];
  const granules = all.filter((g) => g.split('.')[2] === tile).slice(0, 3);
  let bands = 0;
  const t0 = performance.now();
  for (const g of granules) {
    for (const f of readdirSync(join(granuleDir, g)).filter((n) => n.endsWith('.tif'))) {
      bands++;
      execFileSync('gdalwarp', ['-q', '-overwrite', '-r', f.includes('Fmask') ? 'near' : 'bilinear', '-t_srs', 'EPSG:5070', '-tr', '30', '30', '-tap', join(granuleDir, g, f), join(outDir, 'gdal.tif')]);
    }
  }
  return { seconds: (performance.now() - t0) / 1000, bands };
}

// The demo world's bands are flat fields (about 1 MB each); `texture` gives them per-pixel texture so they
// compress as real HLS bands do (about 25 MB each), the files the chips mode is for.
const worlds: Array<{ name: string; world: Partial<WorldOptions> }> = [
  { name: 'demo world (20 chips per tile, flat bands)', world: {} },
  { name: 'published density (8 chips per tile, flat bands)', world: { chipsPerTile: [8, 8, 2] } },
  { name: 'published density (8 chips per tile), HLS-like bands', world: { chipsPerTile: [8, 8, 2], texture: 300 } },
  { name: 'demo density (20 chips per tile), HLS-like bands', world: { texture: 300 } },
];

/** What bench/chips/run-once.mjs prints of a run. */
interface RunFigures {
  /** The code that ran: the CLI's start-up copy or the source (a stale copy: `node tools/build-cli.ts`). */
  code: string;
  seconds: number;
  cpu: number;
  maxRssMb: number;
  bytes: number;
  accepted: number;
  tilesReady: number;
  stages: string;
  datasetDir: string;
  granuleDir: string;
}


const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const spread = (xs: number[], unit: (x: number) => string) => `${unit(median(xs))} (${unit(Math.min(...xs))}-${unit(Math.max(...xs))})`;
const sec = (x: number) => `${x.toFixed(1)} s`;

const RUN_ONCE = join(import.meta.dirname, 'run-once.mjs');
const root = keep ?? mkdtempSync(join(tmpdir(), 'hls-windows-bench-'));
console.log(`machine: ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; ${reps} run(s) per mode, each its own process; data in ${root}`);
let peakRss = 0;
for (const [wi, w] of worlds.entries()) {
  if (only && !only.includes(wi)) continue;
  const world = await ensureWorld({ dataDir: join(root, 'worlds'), options: { ...DEFAULT_WORLD, ...w.world } });
  const runs: Record<'chips' | 'tiles', RunFigures[]> = { chips: [], tiles: [] };
  let least: Least | undefined;
  let gdal: { seconds: number; bands: number } | undefined;
  for (let rep = 0; rep < reps; rep++) {
    // Alternate which mode goes first, so neither always meets the machine in the same state.
    for (const processing of rep % 2 === 0 ? (['chips', 'tiles'] as const) : (['tiles', 'chips'] as const)) {
      const dataDir = join(root, `${w.name.replace(/\W+/g, '-')}-${processing}-${rep}`);
      // Fresh even when --keep names a directory of an earlier bench run: its dataset would be resumed, not made.
      rmSync(dataDir, { recursive: true, force: true });
      const out = execFileSync(process.execPath, [RUN_ONCE, world.dir, JSON.stringify(w.world), processing, dataDir], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
      const r = JSON.parse(out.trim().split('\n').pop()!) as RunFigures;
      runs[processing].push(r);
      peakRss = Math.max(peakRss, r.maxRssMb);
      if (processing === 'chips' && !least) least = await leastBytes(r.datasetDir);
      if (processing === 'tiles' && !gdal && r.tilesReady > 0) gdal = gdalwarpTile(r.granuleDir, dataDir);
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const c = runs.chips;
  const t = runs.tiles;
  const tilesReady = t[0]!.tilesReady;
  console.log(`\n${w.name}: ${tilesReady} tiles with scenes, ${c[0]!.accepted} chips accepted (tiles mode ${t[0]!.accepted}); code: ${[...new Set([...c, ...t].map((r) => r.code))].join(', ')}`);
  for (const [mode, rs] of [['chips', c], ['tiles', t]] as const) {
    console.log(`  ${mode} mode  wall ${spread(rs.map((r) => r.seconds), sec)}, cpu ${spread(rs.map((r) => r.cpu), sec)}, ${mb(rs[0]!.bytes)} fetched`);
    for (const r of rs) console.log(`              ${sec(r.seconds)}: stages, s from start: ${r.stages}`);
  }
  const cb = c[0]!.bytes;
  const tb = t[0]!.bytes;
  if (least) console.log(`  least       ${mb(least.exact)} by exact ranges, ${mb(least.leaves)} as IPFS leaves (${least.files} partial copies); chips mode fetched ${(cb / least.leaves).toFixed(2)}x the IPFS least`);
  if (gdal) console.log(`  gdalwarp    ${gdal.seconds.toFixed(1)} s for one tile's ${gdal.bands} bands whole (its defaults, one process per band); x ${tilesReady} tiles = ${(gdal.seconds * tilesReady).toFixed(1)} s of warping alone`);
  const ratios = c.map((r, i) => (t[i] ?? t[0]!).seconds / r.seconds);
  console.log(`  ratios: bytes tiles/chips ${(tb / cb).toFixed(1)}x; wall tiles/chips ${(median(t.map((r) => r.seconds)) / median(c.map((r) => r.seconds))).toFixed(1)}x of the medians (per rep: ${ratios.map((x) => x.toFixed(1)).join(', ')}); cpu ${(median(t.map((r) => r.cpu)) / median(c.map((r) => r.cpu))).toFixed(1)}x`);
}
console.log(`\npeak RSS of a run process (all eight services): ${peakRss.toFixed(0)} MB`);
if (!keep) rmSync(root, { recursive: true, force: true });
