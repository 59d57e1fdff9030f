// One run of bench/chips/windows.ts, in its own process, started as `hls-chips` starts: the CLI's
// plain-JavaScript copy when it is current (else the TypeScript source) and V8's compile cache, so the run
// pays what a user's `hls-chips run` pays and no type stripping. Plain JavaScript on purpose: loading a .ts
// file loads Node's type stripper. Prints the run's figures as one JSON line.
//   node bench/chips/run-once.mjs <world dir> <world options JSON> <chips|tiles> <data dir>
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { currentCopy, enableCodeCache } from '../../apps/cli/bin/start-copy.mjs';

enableCodeCache();
const [worldDir, worldJson, processing, dataDir] = process.argv.slice(2);
const copy = currentCopy();
const load = (src) => import((copy ? new URL(src.replace(/\.ts$/, '.mjs'), copy.dir) : new URL(`../../${src}`, import.meta.url)).href);
const [{ runDemo }, { createServices }, { SERVICES }] = await Promise.all([
  load('libs/pipeline/src/index.ts'),
  load('apps/cli/src/registry.ts'),
  load('libs/contracts/src/index.ts'),
]);

// The world hard-linked into a fresh data dir (the demo finds it there by its options' hash).
mkdirSync(join(dataDir, 'world'), { recursive: true });
try {
  execFileSync('cp', ['-al', worldDir, join(dataDir, 'world')]);
} catch {
  cpSync(worldDir, join(dataDir, 'world', basename(worldDir)), { recursive: true });
}
const c0 = process.cpuUsage();
const r = await runDemo({ dataDir, world: JSON.parse(worldJson), processing, services: createServices(SERVICES), timeoutMs: 1_800_000 });
const cu = process.cpuUsage(c0);
if (!r.complete) throw new Error(`${processing}: the run did not complete`);
const stages = Object.entries(r.stages)
  .map(([name, st]) => `${name} ${st.start.toFixed(1)}-${st.end.toFixed(1)}`)
  .join(', ');
const figures = {
  code: copy ? 'start-up copy' : 'source',
  seconds: r.seconds,
  cpu: (cu.user + cu.system) / 1e6,
  maxRssMb: process.resourceUsage().maxRSS / 1024,
  bytes: r.bands.mbFetched * 1e6,
  accepted: r.accepted,
  tilesReady: r.tiles.ready,
  stages,
  datasetDir: r.datasetDir,
  granuleDir: r.world.granuleDir,
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
process.exit(0);
