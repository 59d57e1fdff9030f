// hls-chips retrieve --source: help text and one-line errors, as a user sees them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const tmp = mkdtempSync(join(tmpdir(), 'hls-retrieve-cli-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const main = join(import.meta.dirname, '..', 'main.ts');
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

test('retrieve --help names the sources, their order and the credentials', () => {
  const r = cli(['retrieve', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /--source <name>/);
  assert.match(r.stdout, /local, ipfs, https/);
  assert.match(r.stdout, /EARTHDATA_TOKEN/);
});

test('retrieve --source: an unknown source and a missing tile_payloads.json are one line each', () => {
  const bad = cli(['retrieve', '--dataset', tmp, '--source', 'local,ftp']);
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, "hls-chips retrieve: --source must be one of local, ipfs, https, got 'ftp'\n");
  const none = cli(['retrieve', '--dataset', tmp, '--source', 'https']);
  assert.equal(none.status, 1);
  assert.equal(none.stderr.trim().split('\n').length, 1, none.stderr);
  assert.match(none.stderr, /^hls-chips retrieve: .*tile_payloads\.json/);
});

test('retrieve --source local: bands used in place from the configured granule folders, nothing downloaded', () => {
  const g = 'HLS.S30.T15TVG.2022152T170851.v2.0';
  const folder = join(tmp, 'granules');
  const ds = join(tmp, 'ds');
  const payload = [{ title_id: g, tile_id: '15TVG', date: '2022-06-01', bands: [{ band_name: 'B02', filename: `${g}.B02.tif`, cid: null }] }];
  mkdirSync(join(folder, g), { recursive: true });
  mkdirSync(ds, { recursive: true });
  writeFileSync(join(ds, 'tile_payloads.json'), JSON.stringify(payload));
  const tiff = Buffer.alloc(64);
  tiff.write('II', 0, 'latin1');
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(1, 8);
  writeFileSync(join(folder, g, `${g}.B02.tif`), tiff);
  const yaml = join(tmp, 'c.yaml');
  writeFileSync(yaml, `stac:\n  type: directory\n  path: ${folder}\n`);
  const r = cli(['retrieve', '--config', yaml, '--dataset', ds, '--source', 'local', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { files: number; reused: number; failed: number; bySource: Record<string, number> };
  assert.deepEqual([out.files, out.reused, out.failed, out.bySource], [1, 1, 0, { local: 1 }]);
});
