// Runs one package's tests with node's test runner: spec output on stdout, a TAP copy under
// <root>/.test-results/ so tools/run-tests.ts can print one total for the whole workspace.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

const pkgDir = process.cwd();
const root = resolve(import.meta.dirname, '..');
const name = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { name: string }).name;
const results = join(root, '.test-results');
mkdirSync(results, { recursive: true });
const tap = join(results, `${basename(name)}.tap`);
const extra = process.argv.slice(2);
const files = extra.length > 0 ? extra : ['src/**/*.test.ts'];
const r = spawnSync(
  process.execPath,
  [
    '--test',
    '--test-concurrency=1',
    '--test-timeout=600000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  { stdio: 'inherit', cwd: pkgDir },
);
process.exit(r.status ?? 1);
