// The CLI's start-up path as plain JavaScript, in apps/cli/dist/start/ (not committed; `npm install` runs
// this). Node strips the types of a .ts file before running it, and loading its stripper costs about 0.2 s of
// every start; `hls-chips --help` and the start of a command need only main.ts, the command modules and
// what they import statically (commander, the options, the zod-free parts of @hls/contracts). Those are
// copied here with their types stripped (node:module stripTypeScriptTypes, the same stripper) and their
// imports pointed at the copies; a dynamic import of a .ts file (a command's libraries, loaded when it runs)
// is pointed back at the source, so the work itself always runs from the source.
// apps/cli/bin/hls-chips.mjs uses the copy only while manifest.json matches every source file it was made
// from (size and mtime) and the Node version; otherwise it starts from the source, so a stale copy never runs.
//   node tools/build-cli.ts [--out DIR]
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const cliSrc = join(root, 'apps', 'cli', 'src');
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

/** Where `spec` imported by `file` resolves to: a repository .ts file, or null (a package, node:, JSON ...). */
function repoTs(spec: string, file: string): string | null {
  if (!spec.startsWith('.') && !spec.startsWith('@hls/')) return null;
  let path: string;
  try {
    // Workspace packages resolve the same from anywhere in the repository (node_modules/@hls links).
    path = spec.startsWith('.') ? resolve(dirname(file), spec) : fileURLToPath(import.meta.resolve(spec));
  } catch {
    return null;
  }
  return path.endsWith('.ts') && path.startsWith(root + sep) && !path.includes(`${sep}node_modules${sep}`) ? path : null;
}

const STATIC = /^(?:import|export)\b[^;]*?\bfrom\s*(['"])([^'"]+)\1/gms;
const SIDE_EFFECT = /^import\s*(['"])([^'"]+)\1/gm;
const DYNAMIC = /\bimport\(\s*(['"])([^'"]+)\1\s*\)/g;

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

export interface Manifest {
  node: string;
  main: string;
  /** Repository-relative source path -> size and mtime when copied. */
  sources: Record<string, { size: number; mtimeMs: number }>;
}

export function build(): Manifest {
  rmSync(START_DIR, { recursive: true, force: true });
  const roots = [join(cliSrc, 'main.ts'), ...readdirSync(join(cliSrc, 'commands')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => join(cliSrc, 'commands', f))];
  const queue = [...roots];
  const done = new Set<string>();
  const manifest: Manifest = { node: process.version, main: specifier(join(START_DIR, 'x'), distPathOf(roots[0]!)), sources: {} };
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(file, 'utf8');
    const out = distPathOf(file);
    const toCopy = (spec: string): string => {
      const target = repoTs(spec, file);
      if (!target) return spec;
      queue.push(target);
      return specifier(out, distPathOf(target));
    };
    let js = strip(source);
    js = js.replace(STATIC, (m: string, q: string, spec: string) => m.slice(0, m.length - spec.length - 2) + q + toCopy(spec) + q);
    js = js.replace(SIDE_EFFECT, (m: string, q: string, spec: string) => m.slice(0, m.length - spec.length - 2) + q + toCopy(spec) + q);
    // Loaded when a command runs: from the source.
    js = js.replace(DYNAMIC, (m: string, q: string, spec: string) => {
      const target = repoTs(spec, file);
      return target && spec.startsWith('.') ? `import(${q}${specifier(out, target)}${q})` : m;
    });
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
