// The CLI's plain-JavaScript copy (apps/cli/dist/start, made by tools/build-cli.ts on npm install), when it may
// run: its manifest matches every source file it was made from (size and mtime), this checkout's place and
// this Node. Plain JavaScript on purpose: loading any .ts file loads Node's type stripper.
import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const root = new URL('../../../', import.meta.url);

/**
 * The copy's directory and main module, or null when it is missing or stale (then the source runs).
 * HLS_CLI_START: another copy's directory (tests).
 */
export function currentCopy() {
  const dir = process.env.HLS_CLI_START ? new URL(`file://${process.env.HLS_CLI_START.replace(/\/?$/, '/')}`) : new URL('../dist/start/', import.meta.url);
  try {
    const m = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'));
    if (m.node !== process.version || m.root !== fileURLToPath(root).replace(/\/$/, '')) return null;
    for (const [path, s] of Object.entries(m.sources)) {
      const st = statSync(new URL(path, root));
      if (st.size !== s.size || st.mtimeMs !== s.mtimeMs) return null;
    }
    return { dir, main: new URL(m.main, dir) };
  } catch {
    return null;
  }
}

/**
 * V8's code cache for the modules this process loads (in the OS temp dir, keyed by content): later starts skip
 * compiling them. Worker threads do not inherit it from the process: NODE_COMPILE_CACHE gives it to them (and
 * to child processes), or each warp and clip thread compiles its code anew (about 0.07 s of CPU a thread).
 * Returns the cache's directory, or undefined when Node could not enable it.
 */
export function enableCodeCache() {
  const r = module.enableCompileCache?.();
  if (r?.directory && !process.env.NODE_COMPILE_CACHE) process.env.NODE_COMPILE_CACHE = r.directory;
  return r?.directory;
}
