// Peak RSS of each service process of a `demo --processes` run (the default world, chips mode unless
// `--processing tiles`), read from /proc/<pid>/status (VmHWM) while the run goes. Target for the chipper:
// <= 400 MB. Linux only. `node bench/chips/service-rss.ts [--processing chips|tiles]`
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const processing = args.includes('--processing') ? args[args.indexOf('--processing') + 1]! : 'chips';
const dir = mkdtempSync(join(tmpdir(), 'hls-rss-bench-'));
const cli = join(import.meta.dirname, '..', '..', 'apps', 'cli', 'bin', 'hls-chips.mjs');

/** Service processes (apps/<service>/src/main.ts) and their peak RSS in MB. */
function sample(peaks: Map<string, number>): void {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const m = cmd.map((a) => /apps\/([a-z-]+)\/src\/main\.ts$/.exec(a)?.[1]).find(Boolean);
      if (!m || m === 'cli') continue;
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
      const key = `${m} (pid ${pid})`;
      peaks.set(key, Math.max(peaks.get(key) ?? 0, hwm));
    } catch {
      // the process ended between listing and reading
    }
  }
}

const peaks = new Map<string, number>();
const t0 = performance.now();
const child = spawn(process.execPath, [cli, 'demo', '--processes', '--processing', processing, '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
child.stdout.on('data', (d: Buffer) => (out += d.toString()));
child.stderr.resume();
const timer = setInterval(() => sample(peaks), 200);
const code = await new Promise<number | null>((r) => child.once('exit', r));
clearInterval(timer);
console.log(`demo --processes --processing ${processing}: exit ${code} in ${((performance.now() - t0) / 1000).toFixed(1)} s (world generation included)`);
console.log(out.split('\n').slice(0, 2).join('\n'));
for (const [k, v] of [...peaks].sort()) console.log(`  ${k.padEnd(32)} peak RSS ${v.toFixed(0)} MB`);
rmSync(dir, { recursive: true, force: true });
