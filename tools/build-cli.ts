// The CLI as plain JavaScript, in apps/cli/dist/start/ (not committed; `npm install` runs this). Node strips
// the types of every .ts file it loads, and loading its stripper costs about 0.2 s of every start; here the
// CLI's main.ts, its command modules and every repository module they import (statically, by a literal
// dynamic import, or as a worker file `new URL('./x.ts', import.meta.url)`) are copied with their types
// stripped by Node's own stripTypeScriptTypes (the same stripper, so the code that runs is the same) and
// their imports pointed at the copies. A copied module still sees its source's place: `import.meta.url`,
// `.dirname` and `.filename` are written as the source file's, so files found beside the source (fixtures,
// the web page, package.json) are found. Only main.ts keeps its own (it lists the command modules beside it).
// A module whose npm imports would resolve differently from the copy's place (a package in a lib's own
// node_modules) is not copied: its importers load it from the source.
// apps/cli/bin/start-copy.mjs (hls-chips.mjs, the benchmarks) uses the copy only while manifest.json matches every source file it was made
// from (size and mtime), the checkout's place and the Node version; otherwise it starts from the source, so a
// stale copy never runs.
//   node tools/build-cli.ts [--out DIR]
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const cliSrc = join(root, 'apps', 'cli', 'src');
const MAIN = join(cliSrc, 'main.ts');
/** Where the copy goes: apps/cli/dist/start, or `--out DIR` (tests). */
const outAt = process.argv.indexOf('--out');
export const START_DIR = outAt > 0 ? resolve(process.argv[outAt + 1]!) : join(root, 'apps', 'cli', 'dist', 'start');

const rel = (p: string): string => relative(root, p).split(sep).join('/');
const distPathOf = (src: string): string => join(START_DIR, rel(src).replace(/\.ts$/, '.mjs'));
/** A relative import specifier from one file to another. */
const specifier = (from: string, to: string): string => {
  const r = relative(dirname(from), to).split(sep).join('/');
  return r.startsWith('.') ? r : `./${r}`;
};

/** Where `spec` imported by `file` resolves to inside the repository (not node_modules), or null (a package, node:). */
function repoFile(spec: string, file: string): string | null {
  if (!spec.startsWith('.') && !spec.startsWith('@hls/')) return null;
  let path: string;
  try {
    // Workspace packages resolve the same from anywhere in the repository (node_modules/@hls links).
    path = spec.startsWith('.') ? resolve(dirname(file), spec) : fileURLToPath(import.meta.resolve(spec));
  } catch {
    return null;
  }
  return path.startsWith(root + sep) && !path.includes(`${sep}node_modules${sep}`) ? path : null;
}

/** `pkg` of a bare specifier (`@scope/name/sub` -> `@scope/name`), or null for node: builtins. */
function packageOf(spec: string): string | null {
  if (spec.startsWith('node:') || spec.startsWith('.') || spec.startsWith('/')) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The node_modules/<pkg> directory Node's lookup finds from `dir` (nearest ancestor holding it). */
function packageDirFrom(dir: string, pkg: string): string | null {
  for (let d = dir; ; d = dirname(d)) {
    const p = join(d, 'node_modules', pkg);
    if (existsSync(p)) return p;
    if (dirname(d) === d) return null;
  }
}

const STATIC = /^(?:import|export)\b[^;]*?\bfrom\s*(['"])([^'"]+)\1/gms;
const SIDE_EFFECT = /^import\s*(['"])([^'"]+)\1/gm;
const DYNAMIC = /\bimport\(\s*(['"])([^'"]+)\1\s*\)/g;
const WORKER_URL = /new URL\(\s*(['"])(\.[^'"]+\.ts)\1\s*,\s*import\.meta\.url\s*\)/g;
const IMPORT_META = /\bimport\.meta\.(url|dirname|filename)\b/g;

/** Node's own stripper (experimental in Node 22: its one-time warning is not news to the person installing). */
function strip(source: string): string {
  const emit = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emit;
  }
}

/** Every import specifier in `js` (after stripping). */
function specifiersOf(js: string): string[] {
  return [...js.matchAll(STATIC), ...js.matchAll(SIDE_EFFECT), ...js.matchAll(DYNAMIC)].map((m) => m[2]!);
}

export interface Manifest {
  node: string;
  /** The checkout the copy was made from: the copy names its files by absolute path. */
  root: string;
  main: string;
  /** Repository-relative source path -> size and mtime when copied. */
  sources: Record<string, { size: number; mtimeMs: number }>;
}

export function build(): Manifest {
  rmSync(START_DIR, { recursive: true, force: true });
  const roots = [MAIN, ...readdirSync(join(cliSrc, 'commands')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join(cliSrc, 'commands', f))];
  const manifest: Manifest = { node: process.version, root, main: specifier(join(START_DIR, 'x'), distPathOf(MAIN)), sources: {} };

  // Pass 1: the modules reachable from the roots, stripped, and which of them can run from the copy's place.
  const stripped = new Map<string, string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (stripped.has(file)) continue;
    const js = strip(readFileSync(file, 'utf8'));
    stripped.set(file, js);
    for (const spec of specifiersOf(js)) {
      const target = repoFile(spec, file);
      if (target?.endsWith('.ts')) queue.push(target);
    }
    for (const m of js.matchAll(WORKER_URL)) queue.push(resolve(dirname(file), m[2]!));
  }
  const copyable = new Set<string>();
  for (const [file, js] of stripped) {
    const movable = specifiersOf(js).every((spec) => {
      const pkg = packageOf(spec);
      return !pkg || pkg.startsWith('@hls/') || packageDirFrom(dirname(file), pkg) === packageDirFrom(dirname(distPathOf(file)), pkg);
    });
    if (movable) copyable.add(file);
  }

  // Pass 2: write the copies, each import pointed at a copy (or back at the source when there is none).
  for (const file of copyable) {
    const out = distPathOf(file);
    const point = (spec: string): string => {
      const target = repoFile(spec, file);
      if (!target) return spec;
      return specifier(out, copyable.has(target) ? distPathOf(target) : target);
    };
    let js = stripped.get(file)!;
    js = js.replace(STATIC, (m: string, q: string, spec: string) => m.slice(0, m.length - spec.length - 2) + q + point(spec) + q);
    js = js.replace(SIDE_EFFECT, (m: string, q: string, spec: string) => m.slice(0, m.length - spec.length - 2) + q + point(spec) + q);
    js = js.replace(DYNAMIC, (_m: string, q: string, spec: string) => `import(${q}${point(spec)}${q})`);
    // A worker file's copy by its absolute URL (the copy names files absolutely anyway; the manifest pins the checkout).
    js = js.replace(WORKER_URL, (m: string, _q: string, spec: string) => {
      const target = resolve(dirname(file), spec);
      return copyable.has(target) ? `new URL(${JSON.stringify(pathToFileURL(distPathOf(target)).href)})` : m;
    });
    if (file !== MAIN) {
      const url = pathToFileURL(file).href;
      js = js.replace(IMPORT_META, (_m: string, what: string) => JSON.stringify(what === 'url' ? url : what === 'dirname' ? dirname(file) : file));
    }
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, js);
    const st = statSync(file);
    manifest.sources[rel(file)] = { size: st.size, mtimeMs: st.mtimeMs };
  }
  writeFileSync(join(START_DIR, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return manifest;
}

if (import.meta.main) {
  try {
    const m = build();
    console.log(`hls-chips start-up copy: ${Object.keys(m.sources).length} modules in ${rel(START_DIR)}`);
  } catch (e) {
    // Never fails an install: without the copy the CLI starts from the source, only slower.
    console.warn(`hls-chips start-up copy not built (the CLI starts from the source): ${e instanceof Error ? e.message : String(e)}`);
  }
}
