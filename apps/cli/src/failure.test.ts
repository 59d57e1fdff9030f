// Every CLI failure is one line `hls-chips: <what>: <why>` and exit 1; the stack only with --verbose / HLS_DEBUG=1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { formatFailure, oneLine, takeVerbose } from './failure.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-cli-fail-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const main = join(import.meta.dirname, 'main.ts');

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stderr: string; lines: string[] } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, HLS_DEBUG: '', ...env } });
  return { status: r.status, stderr: r.stderr, lines: r.stderr.split('\n').filter(Boolean) };
}

test('oneLine joins a multi-line message; a list under a heading reads "heading: a; b"', () => {
  assert.equal(oneLine(new Error('config check failed:\n  stac.url: x does not answer\n  cdl.source: y does not exist')), 'config check failed: stac.url: x does not answer; cdl.source: y does not exist');
  assert.equal(oneLine(new Error('first\nsecond')), 'first; second');
  assert.equal(oneLine('plain'), 'plain');
  const withCause = new Error('outer', { cause: new Error('inner reason') });
  assert.equal(formatFailure(withCause, false), 'hls-chips: outer\n');
  assert.match(formatFailure(withCause, true), /^hls-chips: outer\nError: outer\n\s+at .*\ncaused by:\nError: inner reason/s);
});

test('--verbose is taken from anywhere on the command line, or from HLS_DEBUG=1', () => {
  assert.deepEqual(takeVerbose(['node', 'main', 'reproject', 'x.tif', '--verbose'], {}), { argv: ['node', 'main', 'reproject', 'x.tif'], verbose: true });
  assert.equal(takeVerbose(['node', 'main'], { HLS_DEBUG: '1' }).verbose, true);
  assert.equal(takeVerbose(['node', 'main'], {}).verbose, false);
});

test('a bad raster, a bad config value and a usage error each fail in one line, exit 1', () => {
  const notTiff = join(tmp, 'not-a-tiff.tif');
  writeFileSync(notTiff, 'this is not a TIFF');
  const raster = cli(['reproject', notTiff]);
  assert.equal(raster.status, 1);
  assert.equal(raster.lines.length, 1, raster.stderr);
  assert.match(raster.lines[0]!, new RegExp(`^hls-chips: ${notTiff.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot open as GeoTIFF: `));

  const yaml = join(tmp, 'bad.yaml');
  writeFileSync(yaml, 'cloud_cover_threshold: lots\n');
  const config = cli(['run', '--config', yaml]);
  assert.equal(config.status, 1);
  assert.equal(config.lines.length, 1, config.stderr);
  assert.match(config.lines[0]!, /^hls-chips: config key cloud_cover_threshold from config file .*bad\.yaml: .*"lots"/);

  const usage = cli(['no-such-command']);
  assert.equal(usage.status, 1);
  assert.deepEqual(usage.lines, ["hls-chips: unknown command 'no-such-command' (see hls-chips --help)"]);
  const option = cli(['reproject', notTiff, '--resampling', 'cubic']);
  assert.equal(option.status, 1);
  assert.equal(option.lines.length, 1, option.stderr);
  assert.match(option.lines[0]!, /^hls-chips: option '--resampling <method>' argument 'cubic' is invalid\. must be one of bilinear, nearest/);
});

test('--verbose and HLS_DEBUG=1 add the stack trace after the same first line', () => {
  const missing = join(tmp, 'missing.tif');
  for (const r of [cli(['reproject', missing, '--verbose']), cli(['reproject', missing], { HLS_DEBUG: '1' })]) {
    assert.equal(r.status, 1);
    assert.match(r.lines[0]!, /^hls-chips: .*missing\.tif: cannot open as GeoTIFF: ENOENT/);
    assert.ok(r.lines.some((l) => /^\s+at /.test(l)), r.stderr);
  }
  assert.ok(!cli(['reproject', missing]).stderr.includes('    at '));
});

test('numeric flags are checked: --timeout abc and --seed abc stop in one line naming the flag', () => {
  const run = cli(['run', '--config', join(tmp, 'none.yaml'), '--timeout', 'abc']);
  assert.equal(run.status, 1);
  assert.deepEqual(run.lines, ["hls-chips: option '--timeout <seconds>' argument 'abc' is invalid. must be a number > 0 (see hls-chips --help)"]);
  const demo = cli(['demo', '--seed', 'abc']);
  assert.equal(demo.status, 1);
  assert.deepEqual(demo.lines, ["hls-chips: option '--seed <n>' argument 'abc' is invalid. must be a whole number >= 0 (see hls-chips --help)"]);
});

test('run takes its config from HLS_CONFIG when --config is not given, and says so when neither is', () => {
  const yaml = join(tmp, 'env.yaml');
  writeFileSync(yaml, 'cloud_cover_threshold: many\n');
  const fromEnv = cli(['run'], { HLS_CONFIG: yaml });
  assert.equal(fromEnv.status, 1);
  assert.match(fromEnv.lines[0]!, /^hls-chips: config key cloud_cover_threshold from config file .*env\.yaml/);
  const none = cli(['run'], { HLS_CONFIG: '' });
  assert.deepEqual(none.lines, ['hls-chips: run: no config: pass --config FILE or set HLS_CONFIG']);
});
