// Benchmark: the full default `hls-chips demo` from a fresh data dir (world generation included), then
// again on the same data dir (world cached, every band and chip reused). Wall seconds of the whole
// command, the demo's own summary, disk use. `node bench/demo/demo.ts [--processes] [--keep DIR]`
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const processes = args.includes('--processes');
const keepAt = args.indexOf('--keep');
const dir = keepAt >= 0 ? (args[keepAt + 1] as string) : mkdtempSync(join(tmpdir(), 'hls-demo-bench-'));
const cli = join(import.meta.dirname, '..', '..', 'apps', 'cli', 'src', 'main.ts');

function run(label: string): void {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'demo', '--data-dir', dir, ...(processes ? ['--processes'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const secs = (performance.now() - t0) / 1000;
  console.log(`\n=== ${label}: ${secs.toFixed(1)} s wall for the whole command (exit ${r.status}) ===`);
  console.log(r.stdout.trim());
  if (r.status !== 0) console.log(r.stderr.split('\n').slice(-30).join('\n'));
}

console.log(`machine: ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}; data dir ${dir}${processes ? '; --processes' : ''}`);
run('fresh data dir (world generated)');
console.log(`disk: ${execFileSync('du', ['-sh', join(dir, 'world'), join(dir, 'training_datasets'), dir], { encoding: 'utf8' }).trim().replace(/\n/g, ' | ')}`);
run('second run (world cached, outputs reused)');
if (keepAt < 0) rmSync(dir, { recursive: true, force: true });
