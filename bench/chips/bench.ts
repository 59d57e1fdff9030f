// Chipping and band-stats throughput on synthetic data. Usage: node bench/chips/bench.ts [chips=25]
// Prints figures only; nothing is asserted. Data goes to a temp dir that is removed afterwards.
import { mkdtemp, readdir, rm, copyFile, mkdir } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeBandStats } from '@hls/analytics';
import { chipDataset, loadReclassTable } from '@hls/chips';
import { payload5070, writeSyntheticTile } from '@hls/chips/testing';
import { writeFile } from 'node:fs/promises';
import { REAL_FIXTURES } from '@hls/common';

const n = Number(process.argv[2] ?? 25);
const side = Math.ceil(Math.sqrt(n));
const dir = await mkdtemp(join(tmpdir(), 'bench-chips-'));
try {
  let t = performance.now();
  const tile = await writeSyntheticTile(dir, { col0: 4480, row0: 8960, width: side * 224, height: side * 224 });
  console.log(`synthetic tile ${side * 224} px square, 21 bands: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const chips = Array.from({ length: n }, (_, k) => ({ id: `chip_${String(40 + Math.floor(k / side)).padStart(3, '0')}_${String(20 + (k % side)).padStart(3, '0')}`, box: tile.box((k % side) * 224, Math.floor(k / side) * 224) }));
  await writeFile(join(dir, 'p.geojson'), payload5070(chips));
  const reclass = await loadReclassTable(`${REAL_FIXTURES}/chips/cdl_total_dst.csv`);
  t = performance.now();
  const s = await chipDataset({ datasetDir: dir, payload5070: join(dir, 'p.geojson'), cdlSource: tile.cdl, reclass });
  const clipS = (performance.now() - t) / 1000;
  console.log(`clip + QA: ${s.clipped} chips in ${clipS.toFixed(1)} s = ${(clipS / s.clipped * 1000).toFixed(0)} ms/chip`);

  await mkdir(join(dir, 'chips_filtered'), { recursive: true });
  const merged = (await readdir(join(dir, 'chips'))).filter((f) => f.endsWith('_merged.tif'));
  for (const f of merged) await copyFile(join(dir, 'chips', f), join(dir, 'chips_filtered', f));
  // On this thread, then split over threads by band (the default: one per core, at most 6, one per 64 chips).
  for (const threads of [1, undefined]) {
    const rss0 = process.memoryUsage().rss;
    t = performance.now();
    const stats = await computeBandStats(merged.map((f) => join(dir, 'chips_filtered', f)), { npyDir: join(dir, 'band_stats'), ...(threads ? { threads } : {}) });
    const statS = (performance.now() - t) / 1000;
    const values = stats.reduce((a, b) => a + b.count, 0);
    const label = threads ? 'one thread' : `${Math.min(availableParallelism(), 6, Math.max(1, Math.floor(merged.length / 64)))} thread(s)`;
    console.log(`band stats, ${label}: ${merged.length} chips, ${(values / 1e6).toFixed(1)} M values in ${statS.toFixed(1)} s = ${(values / 1e6 / statS).toFixed(1)} M values/s; rss +${((process.memoryUsage().rss - rss0) / 2 ** 20).toFixed(0)} MiB (values: ${((values * 2) / 2 ** 20).toFixed(0)} MiB as Int16)`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
