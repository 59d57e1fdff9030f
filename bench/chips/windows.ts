// Chip windows on whole runs: the demo world (20 chips on each full 3660 x 3660 tile) and a world at the
// published dataset's density (8 chips per tile), each run in the chips mode and in the tiles mode from a
// fresh dataset (bands over the local IPFS gateway, as the demo), in one process. Per run: wall seconds of
// the run, bytes fetched; the chips mode's least bytes (the blocks its chips need plus headers by exact
// ranges; over IPFS the whole 256 KiB leaves holding them); and gdalwarp (its defaults) of one tile's 21
// bands whole (the original's method; its clip is negligible) scaled to the run's tiles.
// The process's peak RSS at the end bounds each service's. `node bench/chips/windows.ts [--keep DIR]`
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICES } from '@hls/contracts';
import { runDemo } from '@hls/pipeline';
import { readPartialCopy } from '@hls/raster';
import { createServices } from '../../apps/cli/src/registry.ts';

const args = process.argv.slice(2);
const keepAt = args.indexOf('--keep');
const root = keepAt >= 0 ? (args[keepAt + 1] as string) : mkdtempSync(join(tmpdir(), 'hls-windows-bench-'));
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

const worlds = [
  { name: 'demo world (20 chips per tile)', world: {} },
  { name: 'published density (8 chips per tile)', world: { chipsPerTile: [8, 8, 2] as [number, number, number] } },
];

console.log(`machine: ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; data in ${root}`);
for (const w of worlds) {
  const results: Record<string, { seconds: number; bytes: number; accepted: number; stages: string }> = {};
  let least: Least | undefined;
  let gdal: { seconds: number; bands: number } | undefined;
  let tilesReady = 0;
  for (const processing of ['chips', 'tiles'] as const) {
    const dataDir = join(root, `${w.name.replace(/\W+/g, '-')}-${processing}`);
    const r = await runDemo({ dataDir, world: w.world, processing, services: createServices(SERVICES), timeoutMs: 1_800_000 });
    if (!r.complete) throw new Error(`${w.name} ${processing}: the run did not complete`);
    const stages = Object.entries(r.stages)
      .map(([name, s]) => `${name} ${s.start.toFixed(1)}-${s.end.toFixed(1)}`)
      .join(', ');
    results[processing] = { seconds: r.seconds, bytes: r.bands.mbFetched * 1e6, accepted: r.accepted, stages };
    tilesReady = r.tiles.ready;
    if (processing === 'chips') least = await leastBytes(r.datasetDir);
    if (processing === 'tiles' && tilesReady > 0) gdal = gdalwarpTile(r.world.granuleDir, dataDir);
  }
  const c = results.chips!;
  const t = results.tiles!;
  console.log(`\n${w.name}: ${tilesReady} tiles with scenes, ${c.accepted} chips accepted (tiles mode ${t.accepted})`);
  console.log(`  chips mode  ${c.seconds.toFixed(1)} s, ${mb(c.bytes)} fetched (stages, s from start: ${c.stages})`);
  console.log(`  tiles mode  ${t.seconds.toFixed(1)} s, ${mb(t.bytes)} fetched (stages, s from start: ${t.stages})`);
  if (least) console.log(`  least       ${mb(least.exact)} by exact ranges, ${mb(least.leaves)} as IPFS leaves (${least.files} partial copies); chips mode fetched ${(c.bytes / least.leaves).toFixed(2)}x the IPFS least`);
  if (gdal) console.log(`  gdalwarp    ${gdal.seconds.toFixed(1)} s for one tile's ${gdal.bands} bands whole (its defaults, one process per band); x ${tilesReady} tiles = ${(gdal.seconds * tilesReady).toFixed(1)} s of warping alone`);
  console.log(`  ratios: bytes tiles/chips ${(t.bytes / c.bytes).toFixed(1)}x, wall tiles/chips ${(t.seconds / c.seconds).toFixed(1)}x`);
}
// Every service ran in this process: its peak RSS bounds any one service's (the chipper's target: <= 400 MB).
console.log(`\npeak RSS of this process (all eight services, every run): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
if (keepAt < 0) rmSync(root, { recursive: true, force: true });
