#!/usr/bin/env node
// hls-chips. Starts from the plain-JavaScript copy of the CLI and the libraries it runs (apps/cli/dist/start,
// made by tools/build-cli.ts on npm install: no type stripping, about 0.2 s less per start) while it matches
// every source file it was made from, this checkout's place and this Node; otherwise from the TypeScript source. Plain JavaScript on
// purpose: loading any .ts file loads Node's type stripper.
import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

// V8's code cache for the modules below (in the OS temp dir, keyed by content): later starts skip compiling them.
module.enableCompileCache?.();

// HLS_CLI_START: another copy's directory (tests).
const start = process.env.HLS_CLI_START ? new URL(`file://${process.env.HLS_CLI_START.replace(/\/?$/, '/')}`) : new URL('../dist/start/', import.meta.url);
const root = new URL('../../../', import.meta.url);

function current() {
  try {
    const m = JSON.parse(readFileSync(new URL('manifest.json', start), 'utf8'));
    if (m.node !== process.version || m.root !== fileURLToPath(root).replace(/\/$/, '')) return null;
    for (const [path, s] of Object.entries(m.sources)) {
      const st = statSync(new URL(path, root));
      if (st.size !== s.size || st.mtimeMs !== s.mtimeMs) return null;
    }
    return new URL(m.main, start);
  } catch {
    return null;
  }
}

const entry = (process.env.HLS_CLI_FROM_SOURCE ? null : current()) ?? new URL('../src/main.ts', import.meta.url);
const { main } = await import(entry.href);
await main();
