// The README's test command: type-check, lint and test every package with Nx, then print one
// closing line for the whole workspace ("N passed, N failed") from the TAP files the packages wrote.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const results = join(root, '.test-results');
rmSync(results, { recursive: true, force: true });

// The system packages the tests use (nats-server, GDAL + rasterio, Chromium): installed when missing, so
// `npm install && npm test` is the whole set-up on a fresh Debian machine; one line says what to do otherwise.
const deps = spawnSync('bash', [join(root, 'tools', 'system-deps.sh')], { stdio: 'inherit', cwd: root });
if (deps.status !== 0) {
  console.error('npm test: the system packages the tests need are missing (see the line above)');
  process.exit(1);
}

const args = process.argv.slice(2);
const nx = join(root, 'node_modules', '.bin', 'nx');
const r = spawnSync(nx, ['run-many', '-t', 'build', 'lint', 'test', '--outputStyle=stream', '--nxBail=false', ...args], {
  stdio: 'inherit',
  cwd: root,
  env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
});

let pass = 0;
let fail = 0;
let skipped = 0;
if (existsSync(results)) {
  for (const f of readdirSync(results).filter((n) => n.endsWith('.tap'))) {
    const text = readFileSync(join(results, f), 'utf8');
    const num = (k: string): number => Number(/^# (\w+) (\d+)$/m.test(text) ? (text.match(new RegExp(`^# ${k} (\\d+)$`, 'm'))?.[1] ?? 0) : 0);
    pass += num('pass');
    fail += num('fail') + num('cancelled');
    skipped += num('skipped');
    if (num('fail') + num('cancelled') > 0) console.log(`failures in ${f}`);
  }
}
console.log(`\nworkspace tests: ${pass} passed, ${fail} failed, ${skipped} skipped`);
console.log(`${pass} passed, ${fail} failed`);
process.exit(r.status !== 0 || fail > 0 ? 1 : 0);
