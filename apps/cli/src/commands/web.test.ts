import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { REAL_FIXTURES } from '@hls/common';

const FIX = `${REAL_FIXTURES}`;
const CHIPS = `${FIX}/chips/midwest_crops_chip_payload.geojson`;
const KML = `${FIX}/s2-grid/sentinel_tile_grid_subset.reconstructed.kml`;
const dir = mkdtempSync(join(tmpdir(), 'cli-web-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const main = join(import.meta.dirname, '..', 'main.ts');

test('web --help names the options', () => {
  const s = execFileSync(process.execPath, [main, 'web', '--help'], { encoding: 'utf8' });
  for (const o of ['--port', '--host', '--chips', '--grid', '--config', '--out', '--basemap', '--trace-url', '--no-nats']) assert.match(s, new RegExp(o));
});

test('web --trace-url without {traceId} is one error line', () => {
  let err = '';
  try {
    execFileSync(process.execPath, [main, 'web', '--port', '0', '--no-nats', '--chips', CHIPS, '--grid', KML, '--out', dir, '--trace-url', 'http://localhost:16686/trace/'], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    err = String((e as { stderr?: string }).stderr);
  }
  assert.match(err, /^hls-chips: .*--trace-url "http:\/\/localhost:16686\/trace\/": must contain \{traceId\}/m);
  assert.equal(err.trim().split('\n').length, 1, err);
});

test('hls-chips web serves the AOI selector on 127.0.0.1, saves a selection, refuses a hostile name, stops on SIGTERM', async () => {
  const p = spawn(process.execPath, [main, 'web', '--port', '0', '--no-nats', '--chips', CHIPS, '--grid', KML, '--out', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no URL printed in 60 s: ${out} ${err}`)), 60_000);
      const check = () => {
        const m = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1] as string);
        }
      };
      p.stdout.on('data', check);
      p.once('exit', () => reject(new Error(`web exited: ${err}`)));
    });
    assert.match(out, /1751 chips, 466 tiles/);
    assert.match(out, /run view: off/);
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /\/vendor\/leaflet\/leaflet\.js/);
    const aoi = { type: 'Polygon', coordinates: [[[-100, 40], [-90, 40], [-90, 45], [-100, 45], [-100, 40]]] };
    const post = (name: string) => fetch(`${url}/api/aoi/save`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, aoi }) });
    assert.equal((await post('a/b')).status, 400);
    assert.ok(!existsSync(join(dir, 'aoi_selections')), 'a refused name writes nothing');
    const r = await post('iowa');
    assert.equal(r.status, 201);
    const body = (await r.json()) as { count: number };
    assert.ok(body.count > 0 && body.count < 1751);
    assert.deepEqual(readdirSync(join(dir, 'aoi_selections')).sort(), ['iowa_chip_payload.geojson', 'iowa_chip_payload_5070.geojson']);
    const sel = JSON.parse(readFileSync(join(dir, 'aoi_selections', 'iowa_chip_payload.geojson'), 'utf8')) as { features: unknown[] };
    assert.equal(sel.features.length, body.count);
  } finally {
    p.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});
