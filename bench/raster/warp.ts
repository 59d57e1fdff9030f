// Benchmark: one 3660 x 3660 Int16 HLS-like band (UTM zone 15, DEFLATE+predictor COG), warped onto
// the CDL grid by us and by gdalwarp (defaults: one thread, -et 0.125; and -et 0 as used in the tests),
// same output grid, output written. Also decode only: ours vs gdal_translate -of MEM.
// Each run is its own process, the cases taking turns round by round; prints median seconds, peak RSS and ratios
// (also paired by round). `node bench/raster/warp.ts [reps]`
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { hlsLikeBand, N } from './hls-band.ts';
import { cdlWindowFor, readRasterInfo, windowBounds } from '@hls/raster';

const reps = Number(process.argv[2] ?? 5);
const out = join(import.meta.dirname, '..', 'out', 'raster');
mkdirSync(out, { recursive: true });

const src = await hlsLikeBand(out, { blockSize: 512, wedge: true });
const info = await readRasterInfo(src);
const [minX, minY, maxX, maxY] = windowBounds(cdlWindowFor(info));
const grid = ['-t_srs', 'EPSG:5070', '-tr', '30', '30', '-te', String(minX), String(minY), String(maxX), String(maxY), '-srcnodata', '-9999', '-dstnodata', '-9999'];

/** Wall seconds, CPU seconds (user + sys, all threads) and peak RSS (MB) of a command, from GNU time. */
function timed(cmd: string, args: string[]): { seconds: number; cpu: number; maxRssMb: number; stdout: string } {
  const stat = join(out, 'time.txt');
  const stdout = execFileSync('/usr/bin/time', ['-f', '%e %U %S %M', '-o', stat, cmd, ...args], { encoding: 'utf8' });
  const [e, u, s, m] = readFileSync(stat, 'utf8').trim().split(/\s+/).slice(-4).map(Number) as [number, number, number, number];
  return { seconds: e, cpu: u + s, maxRssMb: m / 1024, stdout };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Figure {
  name: string;
  seconds: number[];
  cpu: number[];
  rss: number[];
  inner?: number[];
}
const figures: Figure[] = [];
interface Case {
  name: string;
  cmd: string;
  args: string[];
  inner?: boolean;
}
const cases: Case[] = [];
const bench = (name: string, cmd: string, args: string[], inner = false): void => void cases.push({ name, cmd, args, inner });
/** Every case once per round, rounds `reps` times: a machine that speeds up or slows down meets every case alike. */
function runCases(): void {
  for (const c of cases) figures.push({ name: c.name, seconds: [], cpu: [], rss: [], inner: c.inner ? [] : undefined });
  for (let i = 0; i < reps; i++) {
    for (const [k, c] of cases.entries()) {
      const f = figures[k]!;
      const r = timed(c.cmd, c.args);
      f.seconds.push(r.seconds);
      f.cpu.push(r.cpu);
      f.rss.push(r.maxRssMb);
      if (c.inner) f.inner!.push((JSON.parse(r.stdout) as { seconds: number }).seconds);
    }
  }
}

const node = process.execPath;
const loadBefore = loadavg();
const runOurs = join(import.meta.dirname, 'run-ours.ts');
const gdalOpts = (extra: string[], o: string) => ['-q', '-overwrite', '-r', 'bilinear', ...grid, ...extra, src, join(out, o)];
bench('ours: warp bilinear, DEFLATE+pred tiled COG out', node, [runOurs, 'warp', src, join(out, 'ours.tif')], true);
// The installed command, as a user runs it (the plain-JavaScript copy `npm install` makes; start-up included).
const cli = join(import.meta.dirname, '..', '..', 'apps', 'cli', 'bin', 'hls-chips.mjs');
bench('ours: the CLI, hls-chips reproject (same output)', node, [cli, 'reproject', src, '--out', join(out, 'ours-cli.tif')]);
bench('gdalwarp defaults (-et 0.125, uncompressed striped out)', 'gdalwarp', gdalOpts([], 'gdal-default.tif'));
bench('gdalwarp -co COMPRESS=DEFLATE PREDICTOR=2 TILED=YES', 'gdalwarp', gdalOpts(['-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', '-co', 'TILED=YES'], 'gdal-deflate.tif'));
bench('gdalwarp -et 0 (exact), DEFLATE+pred tiled', 'gdalwarp', gdalOpts(['-et', '0', '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', '-co', 'TILED=YES'], 'gdal-et0.tif'));
bench('ours: decode only', node, [runOurs, 'decode', src], true);
bench('gdal_translate -of MEM (decode only)', 'gdal_translate', ['-q', '-of', 'MEM', src, 'mem']);
runCases();
// Warm: several warps in one process, as the reprojector's long-lived workers run them (start-up paid once).
const warm = timed(node, [runOurs, 'warp', src, join(out, 'ours-warm.tif'), String(Math.max(reps, 3))]);
const warmRuns = (JSON.parse(warm.stdout) as { runs: number[] }).runs;

const w = cdlWindowFor(info);
console.log(`input ${N}x${N} Int16 UTM 15 COG -> CDL grid ${w.width}x${w.height}; ${reps} reps each, median`);
console.log(`machine: ${cpus().length} cores, load average before/after ${loadBefore.map((l) => l.toFixed(1)).join(' ')} / ${loadavg().map((l) => l.toFixed(1)).join(' ')} (other work competes: compare cpu and ratios, not absolute wall)`);
console.log('wall = process wall time incl. node/GDAL start-up; cpu = user+sys of all threads; in-process = ours without start-up');
const base = (name: string, k: 'seconds' | 'cpu' = 'seconds') => median(figures.find((f) => f.name.startsWith(name))![k]);
for (const f of figures) {
  const s = median(f.seconds);
  const c = median(f.cpu);
  const refName = f.name.startsWith('ours: decode') ? 'gdal_translate' : f.name.startsWith('ours') ? 'gdalwarp defaults' : null;
  const inner = f.inner ? `, in-process ${median(f.inner).toFixed(2)} s` : '';
  const ratio = refName ? `, ratio vs GDAL wall ${(s / base(refName)).toFixed(2)} cpu ${(c / base(refName, 'cpu')).toFixed(2)}` : '';
  console.log(`${f.name.padEnd(58)} wall ${s.toFixed(2)} s, cpu ${c.toFixed(2)} s, peak RSS ${median(f.rss).toFixed(0)} MB${inner}${ratio}`);
}
console.log(
  `ours warm (${warmRuns.length} warps in one process, as the service runs): median ${median(warmRuns).toFixed(2)} s per warp, ` +
    `peak RSS ${warm.maxRssMb.toFixed(0)} MB; ratio vs gdalwarp defaults wall ${(median(warmRuns) / base('gdalwarp defaults')).toFixed(2)}`,
);
// Paired by round (run next to each other, so they met the machine in the same state).
const paired = (a: string, b: string) => {
  const [fa, fb] = [figures.find((f) => f.name.startsWith(a))!, figures.find((f) => f.name.startsWith(b))!];
  const r = fa.seconds.map((x, i) => x / fb.seconds[i]!);
  return `${median(r).toFixed(2)} (rounds ${r.map((x) => x.toFixed(2)).join(' ')})`;
};
console.log(
  `ratio the CLI / gdalwarp: wall ${(base('ours: the CLI') / base('gdalwarp -co')).toFixed(2)} against the same kind of output, ` +
    `${(base('ours: the CLI') / base('gdalwarp defaults')).toFixed(2)} against its defaults; paired by round: ${paired('ours: the CLI', 'gdalwarp -co')} and ${paired('ours: the CLI', 'gdalwarp defaults')}`,
);
console.log(
  `ratio ours / gdalwarp (DEFLATE+pred tiled, same kind of output): wall ${(base('ours: warp') / base('gdalwarp -co')).toFixed(2)}, ` +
    `cpu ${(base('ours: warp', 'cpu') / base('gdalwarp -co', 'cpu')).toFixed(2)}`,
);
