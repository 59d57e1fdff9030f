// CLI start-up: median wall time (and, on Linux, CPU time) of short `hls-chips` invocations, each a fresh
// process, with Node's compile cache off and on. Bare `node -e 0` and an empty TypeScript file are printed
// for reference: on a loaded machine every figure grows, compare the differences.
//   node bench/cli/startup.ts [runs=15] [--main apps/cli/src/main.ts]
// (--main points at another checkout's main.ts to measure a before/after pair on the same machine state.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const args = process.argv.slice(2);
const mainAt = args.indexOf('--main');
const main = mainAt >= 0 ? resolve(args[mainAt + 1]!) : join(import.meta.dirname, '../../apps/cli/src/main.ts');
const bin = join(import.meta.dirname, '../../apps/cli/bin/hls-chips.mjs');
const runs = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--main') ?? 15);
const tmp = mkdtempSync(join(tmpdir(), 'hls-startup-bench-'));
const emptyTs = join(tmp, 'empty.ts');
writeFileSync(emptyTs, 'export const x: number = 1;\n');
const missing = join(tmp, 'missing.tif');

const cases: Array<[string, string[]]> = [
  ['node -e 0 (bare Node)', ['-e', '0']],
  ['a one-line .ts file (type stripping)', [emptyTs]],
  ['hls-chips --help', [main, '--help']],
  ['hls-chips reproject --help', [main, 'reproject', '--help']],
  ['hls-chips chip --help', [main, 'chip', '--help']],
  ['hls-chips reproject <missing file> (fails)', [main, 'reproject', missing]],
  // The installed command: the plain-JavaScript start-up copy (tools/build-cli.ts), no type stripping.
  ['bin: hls-chips --help', [bin, '--help']],
  ['bin: hls-chips reproject --help', [bin, 'reproject', '--help']],
  ['bin: hls-chips reproject <missing file>', [bin, 'reproject', missing]],
];

/** Children's user + system CPU seconds so far (Linux /proc; undefined elsewhere). */
function childCpu(): number | undefined {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
    // Fields 16 and 17 of stat (cutime, cstime), counted from the state field (3): clock ticks of 10 ms.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return undefined;
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function measure(argv: string[], env: NodeJS.ProcessEnv): { wall: number; cpu?: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = childCpu();
    const t0 = performance.now();
    const r = spawnSync(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    walls.push((performance.now() - t0) / 1000);
    const c1 = childCpu();
    if (c0 !== undefined && c1 !== undefined) cpus.push(c1 - c0);
    if (r.error) throw r.error;
  }
  return { wall: median(walls), ...(cpus.length ? { cpu: median(cpus) } : {}) };
}

const cacheDir = join(tmp, 'compile-cache');
const modes: Array<[string, NodeJS.ProcessEnv]> = [
  ['cache off', { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1', NODE_COMPILE_CACHE: '' }],
  ['cache on', { ...process.env, NODE_COMPILE_CACHE: cacheDir }],
];
const fmt = (r: { wall: number; cpu?: number }): string => `${r.wall.toFixed(3)} s${r.cpu === undefined ? '' : ` (cpu ${r.cpu.toFixed(2)})`}`;

let load = '';
try {
  load = `, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`;
} catch {
  // not Linux: no load figure
}
console.log(`${main}\nmedians of ${runs} runs, each a new process, ${process.version}${load}`);
console.log(`${'command'.padEnd(44)} ${modes.map(([m]) => m.padEnd(24)).join('')}`);
try {
  for (const [name, argv] of cases) {
    // One unmeasured run fills the compile cache (and the page cache) for this case.
    spawnSync(process.execPath, argv, { env: modes[1]![1], stdio: 'ignore' });
    const row = modes.map(([, env]) => fmt(measure(argv, env)).padEnd(24));
    console.log(`${name.padEnd(44)} ${row.join('')}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
