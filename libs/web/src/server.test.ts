import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { aoiGeometries, chipsInAoi, readChipPayload, writeAoiSelection, loadS2Grid, type ChipRecord } from '@hls/geo';
import { tempDir } from '@hls/testing';
import { startWebServer, type WebServer } from './server.ts';
import { CHIPS_FILE, GRID_KML, chipsTouchingAoiGdal, chipsWithinRect, rectAround, rectPolygon, requireFixtures } from './testing/fixtures.ts';

let chips: ChipRecord[];
let web: WebServer;
const tmp = tempDir('hls-web-');

before(async () => {
  requireFixtures();
  chips = (await readChipPayload(CHIPS_FILE)).chips;
  const tiles = await loadS2Grid(GRID_KML, { cacheFile: false });
  web = await startWebServer({ chipsFile: CHIPS_FILE, chips, tiles, outDir: tmp.dir });
});
after(async () => {
  await web?.close();
  tmp.cleanup();
});

const post = (path: string, body: unknown) => fetch(`${web.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('hostile selection names get 400 and nothing is written', async () => {
  const aoi = rectPolygon(rectAround(chips[0] as ChipRecord, 0.2));
  for (const name of ['../x', 'a/b', '..', '.hidden', '', 'a\\b', '/etc/passwd', 'x'.repeat(65), 7]) {
    const r = await post('/api/aoi/save', { name, aoi });
    assert.equal(r.status, 400, `name ${JSON.stringify(name)}`);
    assert.match(((await r.json()) as { error: string }).error, /name/);
  }
  assert.deepEqual(readdirSync(tmp.dir), [], 'the output dir must stay empty');
  assert.equal(existsSync(join(tmp.dir, '..', 'x_chip_payload.geojson')), false);
});

test('a bad AOI or body gets 400', async () => {
  assert.equal((await post('/api/aoi/save', { name: 'ok', aoi: { type: 'Point', coordinates: [0, 0] } })).status, 400);
  assert.equal((await post('/api/aoi/preview', { aoi: rectPolygon([0, 0, 1, 1]), mode: 'touching' })).status, 400);
  const r = await fetch(`${web.url}/api/aoi/preview`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
  assert.equal(r.status, 400);
  assert.deepEqual(readdirSync(tmp.dir), []);
});

test('preview counts the chips the AOI touches (select_aoi\'s rule); save writes the payload and its 5070 twin as chips filter does', async () => {
  const rect = rectAround(chips[0] as ChipRecord, 0.25);
  const expected = chipsTouchingAoiGdal(chips, rectPolygon(rect));
  assert.ok(expected.length > 0 && expected.length < chips.length, `the AOI should select some chips, got ${expected.length}`);
  const p = (await (await post('/api/aoi/preview', { aoi: rectPolygon(rect) })).json()) as { count: number; ids: string[] };
  assert.equal(p.count, expected.length);
  assert.deepEqual([...p.ids].sort(), expected);

  const r = await post('/api/aoi/save', { name: 'test_area-1', aoi: { type: 'Feature', properties: {}, geometry: rectPolygon(rect) } });
  assert.equal(r.status, 201);
  const saved = (await r.json()) as { count: number; payload: string; twin: string };
  assert.equal(saved.payload, join(tmp.dir, 'aoi_selections', 'test_area-1_chip_payload.geojson'));
  assert.equal(saved.twin, join(tmp.dir, 'aoi_selections', 'test_area-1_chip_payload_5070.geojson'));
  const ids = (f: string) => (JSON.parse(readFileSync(f, 'utf8')) as { features: Array<{ properties: { id: string } }> }).features.map((x) => x.properties.id).sort();
  assert.deepEqual(ids(saved.payload), expected);
  assert.deepEqual(ids(saved.twin), expected);
  // Byte for byte what the `chips filter` function writes for the same AOI.
  const ref = tempDir('hls-web-ref-');
  try {
    const w = await writeAoiSelection(ref.dir, 'test_area-1', chips, aoiGeometries(rectPolygon(rect)));
    assert.equal(readFileSync(saved.payload, 'utf8'), readFileSync(w.payload, 'utf8'));
    assert.equal(readFileSync(saved.twin, 'utf8'), readFileSync(w.twin, 'utf8'));
  } finally {
    ref.cleanup();
  }
});

test('static files come from public/ and node_modules only; traversal is refused', async () => {
  assert.equal((await fetch(`${web.url}/vendor/leaflet/leaflet.js`)).status, 200);
  assert.equal((await fetch(`${web.url}/vendor/geoman/leaflet-geoman.min.js`)).status, 200);
  assert.equal((await fetch(`${web.url}/static/aoi.js`)).status, 200);
  for (const p of ['/static/..%2fsrc%2fserver.ts', '/static/%2e%2e/package.json', '/vendor/leaflet/..%2f..%2fpackage.json', '/vendor/nope/x.js', '/static/%00']) {
    assert.equal((await fetch(`${web.url}${p}`)).status, 404, p);
  }
});

test('overlays: chips and Sentinel-2 tiles as GeoJSON; run view off without a feed', async () => {
  const c = (await (await fetch(`${web.url}/api/chips`)).json()) as { features: Array<{ properties: { id: string } }> };
  assert.equal(c.features.length, chips.length);
  const g = (await (await fetch(`${web.url}/api/grid`)).json()) as { features: Array<{ properties: { name: string }; geometry: { type: string } }> };
  assert.ok(g.features.some((f) => f.properties.name === '15TVG'));
  assert.deepEqual(await (await fetch(`${web.url}/api/runs`)).json(), { enabled: false, runs: [] });
  assert.equal((await fetch(`${web.url}/api/runs/x/events`)).status, 503);
  assert.equal((await fetch(`${web.url}/api/runs/..%2Fx`)).status, 400);
});

test('only JSON POSTs and loopback Host names are answered (no cross-site form posts, no DNS rebinding)', async () => {
  const aoi = rectPolygon(rectAround(chips[0] as ChipRecord, 0.2));
  const form = await fetch(`${web.url}/api/aoi/save`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ name: 'sneaky', aoi }) });
  assert.equal(form.status, 415);
  const status = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const u = new URL(web.url);
      const r = request({ host: u.hostname, port: u.port, path: '/api/config', headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      r.on('error', reject);
      r.end();
    });
  assert.equal(await status('evil.example:80'), 403);
  assert.equal(await status(`localhost:${new URL(web.url).port}`), 200);
  assert.deepEqual(readdirSync(tmp.dir).filter((f) => f !== 'aoi_selections'), []);
  assert.equal(existsSync(join(tmp.dir, 'aoi_selections', 'sneaky_chip_payload.geojson')), false);
});

test('within mode keeps only the chips wholly inside the AOI, as chips filter --within does', async () => {
  const rect = rectAround(chips[0] as ChipRecord, 0.25);
  const body = (mode?: string) => post('/api/aoi/preview', { aoi: rectPolygon(rect), ...(mode ? { mode } : {}) }).then((r) => r.json() as Promise<{ count: number; ids: string[] }>);
  const within = await body('within');
  const touching = await body();
  assert.deepEqual(await body('intersects'), touching, 'intersects is the default');
  assert.ok(touching.count > within.count, `default ${touching.count} > within ${within.count}`);
  for (const id of within.ids) assert.ok(touching.ids.includes(id));
  assert.deepEqual([...within.ids].sort(), chipsWithinRect(chips, rect));
  assert.deepEqual([...within.ids].sort(), chipsInAoi(chips, aoiGeometries(rectPolygon(rect)), 'within').map((c) => c.id).sort());
});
