// Start-up stays light: `--help` (top-level or a command's) loads commander, the command modules and the
// zod-free parts of @hls/contracts, never the libraries a command runs (rasters, IPFS, STAC, NATS, telemetry);
// those load when the command runs. Which modules load is recorded by a module hook, nothing is timed
// (figures: bench/cli/startup.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';

const main = join(import.meta.dirname, 'main.ts');
const tmp = mkdtempSync(join(tmpdir(), 'hls-cli-startup-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// Preloaded with --import: records the URL of every module the process loads, written out at exit.
const recorder = join(tmp, 'record-loads.mjs');
writeFileSync(
  recorder,
  `import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const urls = [];
registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
process.on('exit', () => writeFileSync(process.env.STARTUP_TEST_LOADED_FILE, urls.join('\\n')));
`,
);

let n = 0;
function loaded(args: string[], o: { entry?: string; env?: Record<string, string> } = {}): { status: number | null; stdout: string; stderr: string; modules: string[] } {
  const out = join(tmp, `loaded-${n++}.txt`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(recorder).href, o.entry ?? main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, HLS_DEBUG: '', STARTUP_TEST_LOADED_FILE: out, ...o.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules: readFileSync(out, 'utf8').split('\n').filter(Boolean) };
}

/** npm packages and workspace libs among the loaded URLs: `commander`, `@hls/contracts/src/domain.ts`... */
function origins(urls: string[]): { packages: Set<string>; libFiles: Set<string> } {
  const packages = new Set<string>();
  const libFiles = new Set<string>();
  for (const u of urls) {
    const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
    if (pkg) packages.add(pkg[1]!);
    const lib = /\/libs\/([^/]+)\/(.*)$/.exec(u);
    if (lib && !pkg) libFiles.add(`@hls/${lib[1]}/${lib[2]}`);
  }
  return { packages, libFiles };
}

const HEAVY = /^(@hls\/(raster|ipfs|stac|pipeline|bus|runtime|telemetry|geo|chips|bands|config)|geotiff|helia|@helia\/|@libp2p\/|@opentelemetry\/|@nats-io\/|zod$|yaml$)/;
// What a help text may load: the option texts name the services and band sources (zod-free modules).
const LIGHT_LIB_FILES = new Set(['@hls/contracts/src/domain.ts', '@hls/contracts/src/flow.ts', '@hls/contracts/src/subjects.ts']);

for (const args of [['--help'], ['reproject', '--help'], ['chips', 'boxes', '--help'], ['service', '--help'], ['retrieve', '--help']]) {
  test(`hls-chips ${args.join(' ')} loads commander and the command modules, no library`, () => {
    const r = loaded(args);
    assert.equal(r.status, 0, r.stderr);
    const { packages, libFiles } = origins(r.modules);
    const heavy = [...packages, ...libFiles].filter((m) => HEAVY.test(m));
    assert.deepEqual(heavy, [], `--help loaded ${heavy.join(', ')}`);
    assert.deepEqual([...packages], ['commander']);
    assert.deepEqual([...libFiles].filter((f) => !LIGHT_LIB_FILES.has(f)), []);
  });
}

test('a command named after its module loads that module only; the top-level help loads them all', () => {
  const commandModules = (urls: string[]) => urls.map((u) => /\/apps\/cli\/src\/commands\/([^/]+\.ts)$/.exec(u)?.[1]).filter(Boolean);
  assert.deepEqual(commandModules(loaded(['reproject', '--help']).modules), ['reproject.ts']);
  // qa.ts takes resolveDatasetDir from chip.ts.
  assert.deepEqual(commandModules(loaded(['qa', '--help']).modules), ['qa.ts', 'chip.ts']);
  // `status` lives in service.ts: found by loading every module.
  assert.ok(commandModules(loaded(['status', '--help']).modules).length > 10);
  assert.ok(commandModules(loaded(['--help']).modules).length > 10);
});

test('help texts stay complete: every command listed, a command lists its options and defaults', () => {
  const top = loaded(['--help']).stdout;
  for (const c of ['chip ', 'chips ', 'cids ', 'retrieve ', 'dataset ', 'demo ', 'identify ', 'ipfs ', 'qa ', 'reproject ', 'run ', 'scenes ', 'service ', 'services ', 'status ', 'stac ', 'web ']) {
    assert.match(top, new RegExp(`\\n  ${c}`), `top-level help lacks ${c}`);
  }
  assert.match(top, /--verbose/);
  const reproject = loaded(['reproject', '--help']).stdout;
  for (const o of ['--out <file>', '--resampling <method>', '--extent <mode>', '--config <file>', '(default: "bilinear")']) assert.ok(reproject.includes(o), `reproject --help lacks ${o}`);
  const retrieve = loaded(['retrieve', '--help']).stdout;
  assert.match(retrieve, /--source <name> .*local, ipfs, https/s);
  assert.match(loaded(['service', '--help']).stdout, /one of: chip-index, stac-scout, .*dataset-analytics/s);
});

test('a command loads its libraries when it runs, and still fails in one line (stack with --verbose)', () => {
  const missing = join(tmp, 'missing.tif');
  const r = loaded(['reproject', missing]);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `hls-chips: ${missing}: cannot open as GeoTIFF: ENOENT: no such file or directory, stat '${missing}'\n`);
  const { libFiles } = origins(r.modules);
  assert.ok([...libFiles].some((f) => f.startsWith('@hls/raster/')), 'reproject ran without @hls/raster?');
  const verbose = loaded(['reproject', missing, '--verbose']);
  assert.equal(verbose.status, 1);
  assert.match(verbose.stderr, /^hls-chips: .*cannot open as GeoTIFF.*\n.*\n\s+at /);
});

// The installed command (bin/hls-chips.mjs) starts from a plain-JavaScript copy of the CLI and the libraries
// it runs, made by tools/build-cli.ts (here into a temporary directory): no .ts file loads, so neither does
// Node's type stripper. A copy that no longer matches its sources is never used.
const bin = join(import.meta.dirname, '..', 'bin', 'hls-chips.mjs');
const buildTool = join(import.meta.dirname, '..', '..', '..', 'tools', 'build-cli.ts');

test('bin/hls-chips.mjs: help and a command run from the JavaScript copy load no .ts file and do the same', async () => {
  // Inside the repository, as the real copy is: its imports of npm packages resolve from node_modules.
  const start = join(import.meta.dirname, '..', 'dist', `test-start-${process.pid}`);
  after(() => rmSync(start, { recursive: true, force: true }));
  const b = spawnSync(process.execPath, [buildTool, '--out', start], { encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /start-up copy: \d+ modules/);
  const env = { HLS_CLI_START: start };
  for (const args of [['--help'], ['reproject', '--help'], ['qa', '--help'], ['status', '--help']]) {
    const r = loaded(args, { entry: bin, env });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.modules.filter((u) => u.endsWith('.ts')), [], `${args.join(' ')} loaded TypeScript`);
    assert.equal(r.stdout, loaded(args).stdout, `${args.join(' ')}: the same help as from the source`);
  }
  // A failure is still one line.
  const missing = join(tmp, 'missing.tif');
  const r = loaded(['reproject', missing], { entry: bin, env });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `hls-chips: ${missing}: cannot open as GeoTIFF: ENOENT: no such file or directory, stat '${missing}'\n`);
  assert.ok(!r.modules.some((u) => u.endsWith('/apps/cli/src/main.ts')), 'started from the copy');

  // The work runs from the copy too (the raster library, its EPSG data found beside the source) and writes
  // the same file as the source does.
  const { utmEpsg, writeGeoTiff } = await import('@hls/raster');
  const input = join(tmp, 'band.tif');
  const n = 300;
  await writeGeoTiff(input, { width: n, height: n, bands: [new Int16Array(n * n).map((_, i) => (i * 37) % 9000)], geoTransform: [600000, 30, 0, 4800000, 0, -30], epsg: utmEpsg(14), nodata: -9999 });
  const fromCopy = loaded(['reproject', input, '--out', join(tmp, 'copy.tif')], { entry: bin, env });
  assert.equal(fromCopy.status, 0, fromCopy.stderr);
  assert.deepEqual(fromCopy.modules.filter((u) => u.endsWith('.ts')), [], 'reproject from the copy loaded TypeScript');
  assert.ok(fromCopy.modules.some((u) => /\/libs\/raster\/src\/.*\.mjs$/.test(u)));
  const fromSource = loaded(['reproject', input, '--out', join(tmp, 'source.tif')]);
  assert.equal(fromSource.status, 0, fromSource.stderr);
  assert.ok(readFileSync(join(tmp, 'copy.tif')).equals(readFileSync(join(tmp, 'source.tif'))), 'the copy and the source wrote different files');

  // A source changed since the copy was made (here: its recorded size): the copy is not used.
  const manifestPath = join(start, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { root: string; sources: Record<string, { size: number }> };
  manifest.sources['libs/raster/src/reproject.ts']!.size += 1;
  writeFileSync(manifestPath, JSON.stringify(manifest));
  const stale = loaded(['reproject', '--help'], { entry: bin, env });
  assert.equal(stale.status, 0, stale.stderr);
  assert.ok(stale.modules.some((u) => u.endsWith('/apps/cli/src/main.ts')), 'a stale copy is not used: started from the source');
  // Nor is a copy made for a checkout elsewhere (it names that checkout's files).
  manifest.sources['libs/raster/src/reproject.ts']!.size -= 1;
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, root: '/elsewhere' }));
  assert.ok(loaded(['--help'], { entry: bin, env }).modules.some((u) => u.endsWith('/apps/cli/src/main.ts')), 'a copy of another checkout is not used');
  writeFileSync(manifestPath, JSON.stringify(manifest));
  assert.ok(!loaded(['--help'], { entry: bin, env }).modules.some((u) => u.endsWith('/apps/cli/src/main.ts')), 'the restored manifest is used again');
});

test("the code cache hls-chips enables reaches its worker threads and child processes (Node's reaches neither by itself)", () => {
  const startCopy = pathToFileURL(join(import.meta.dirname, '..', 'bin', 'start-copy.mjs')).href;
  const cacheDir = join(tmp, 'code-cache');
  // A process as bin/hls-chips.mjs starts: the cache enabled, then a worker thread and a child process asked for theirs.
  const script = `
import module from 'node:module';
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
const { enableCodeCache } = await import(${JSON.stringify(startCopy)});
const dir = process.env.ONLY_NODE ? module.enableCompileCache().directory : enableCodeCache();
const ask = "process.getBuiltinModule('node:module').getCompileCacheDir() ?? null";
const thread = await new Promise((resolve, reject) => {
  const w = new Worker(\`process.getBuiltinModule('node:worker_threads').parentPort.postMessage(\${ask})\`, { eval: true });
  w.once('message', resolve);
  w.once('error', reject);
});
const child = execFileSync(process.execPath, ['-p', ask], { encoding: 'utf8' }).trim();
console.log(JSON.stringify({ dir, main: module.getCompileCacheDir() ?? null, thread, child }));
`;
  const run = (env: Record<string, string>): { dir: string; main: string; thread: string | null; child: string } => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_COMPILE_CACHE: '', ...env } });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { dir: string; main: string; thread: string | null; child: string };
  };
  const on = run({ TMPDIR: tmp });
  assert.ok(on.dir && on.main.startsWith(on.dir), `enabled: ${JSON.stringify(on)}`);
  assert.equal(on.thread, on.main, 'the worker thread uses the same cache');
  assert.equal(on.child, on.main, 'a child process uses the same cache');
  // Node's own call alone: the thread compiles without a cache.
  const nodeOnly = run({ TMPDIR: tmp, ONLY_NODE: '1' });
  assert.ok(nodeOnly.main.startsWith(nodeOnly.dir));
  assert.equal(nodeOnly.thread, null);
  // A directory the user chose is kept.
  const chosen = run({ NODE_COMPILE_CACHE: cacheDir });
  assert.ok(chosen.main.startsWith(cacheDir) && chosen.thread === chosen.main, JSON.stringify(chosen));
});
