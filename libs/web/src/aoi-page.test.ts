// The AOI selector in real headless Chromium: draw a polygon with the geoman toolbar, watch the live
// count, save, and check both files on disk.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chipsInAoi, aoiGeometries, readChipPayload, loadS2Grid, type ChipRecord } from '@hls/geo';
import { tempDir, waitFor } from '@hls/testing';
import { VENDOR_DIRS, startWebServer, type WebServer } from './server.ts';
import { launchChromium, screenshot, type BrowserHandle } from './testing/browser.ts';
import { CHIPS_FILE, GRID_KML, chipsTouchingAoiGdal, chipsWithinRect, rectAround, requireFixtures, type Rect } from './testing/fixtures.ts';

let chips: ChipRecord[];
let web: WebServer;
let browser: BrowserHandle;
const tmp = tempDir('hls-web-aoi-');

before(async () => {
  requireFixtures();
  chips = (await readChipPayload(CHIPS_FILE)).chips;
  web = await startWebServer({ chipsFile: CHIPS_FILE, chips, tiles: await loadS2Grid(GRID_KML, { cacheFile: false }), outDir: tmp.dir });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await web?.close();
  tmp.cleanup();
});

interface Feature {
  properties: { id: string };
}

test('draw a polygon, see the chips it touches live (the within box narrows them), save both payload files', async () => {
  const page = await browser.newPage();
  const requested: string[] = [];
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(`${web.url}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  assert.equal(await page.locator('path[data-chip]').count(), chips.length, 'every chip box is drawn');
  assert.deepEqual(requested.filter((u) => !u.startsWith(`${web.url}/`)), [], 'no internet: every request goes to our server');
  assert.ok(requested.some((u) => u.endsWith('/vendor/geoman/leaflet-geoman.min.js')));
  assert.ok((await page.locator('path.leaflet-interactive, path').count()) > chips.length, 'the tile grid is drawn too');

  // Zoom to a cluster of real chips and draw a rectangle inside the view with the polygon tool.
  const target: Rect = rectAround(chips[0] as ChipRecord, 0.25);
  const view: Rect = rectAround(chips[0] as ChipRecord, 0.4);
  await page.evaluate((v) => {
    const w = window as unknown as { hlsAoi: { map: { fitBounds(b: number[][], o: object): void } } };
    w.hlsAoi.map.fitBounds([[v[1], v[0]], [v[3], v[2]]], { animate: false });
  }, view);
  const box = await page.locator('#map').boundingBox();
  assert.ok(box);
  const corners = await page.evaluate((t) => {
    const w = window as unknown as { hlsAoi: { map: { latLngToContainerPoint(ll: number[]): { x: number; y: number } } } };
    return [[t[1], t[0]], [t[1], t[2]], [t[3], t[2]], [t[3], t[0]]].map((ll) => w.hlsAoi.map.latLngToContainerPoint(ll));
  }, target);
  await page.click('.leaflet-pm-icon-polygon');
  for (const c of [...corners, corners[0]]) {
    await page.mouse.click(box.x + Math.round(c!.x), box.y + Math.round(c!.y));
    await page.waitForTimeout(150);
  }
  // The polygon as drawn (pixel-rounded) is the AOI; it is still an axis-aligned lon/lat rectangle.
  const drawn = await page.evaluate(() => {
    const layers = (window as unknown as { hlsAoi: { map: { pm: { getGeomanDrawLayers(): Array<{ toGeoJSON(): unknown }> } } } }).hlsAoi.map.pm.getGeomanDrawLayers();
    return layers.map((l) => l.toGeoJSON());
  });
  assert.equal(drawn.length, 1, 'one polygon drawn');
  const ring = (drawn[0] as { geometry: { coordinates: number[][][] } }).geometry.coordinates[0] as number[][];
  const xs = ring.map((p) => p[0] as number);
  const ys = ring.map((p) => p[1] as number);
  const rect: Rect = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  assert.equal(new Set(xs).size, 2, `drawn AOI should be a lon/lat rectangle (no snapping), got ${JSON.stringify(ring)}`);
  assert.equal(new Set(ys).size, 2);
  // By default the chips the AOI touches, as the original select_aoi map kept them (GDAL/GEOS as the oracle).
  const expected = chipsTouchingAoiGdal(chips, (drawn[0] as { geometry: unknown }).geometry);
  const inside = chipsWithinRect(chips, rect);
  assert.ok(inside.length > 0 && expected.length > inside.length, `the drawn AOI holds chips (${inside.length}) and cuts others (${expected.length} touched)`);
  assert.deepEqual(chipsInAoi(chips, aoiGeometries(drawn[0])).map((c) => c.id).sort(), expected);

  const shown = async (n: number) => {
    await page.waitForFunction((k) => document.getElementById('aoi-count')?.textContent === String(k), n, { timeout: 10_000 });
    await page.waitForFunction((k) => document.querySelectorAll('path[data-selected="true"]').length === k, n, { timeout: 10_000 });
  };
  await shown(expected.length);
  assert.equal(await page.locator('path[data-selected="true"]').count(), expected.length, 'the selected chips are highlighted');
  await screenshot(page, 'aoi-drawn');
  // The strict rule on demand: only the chips wholly inside; unticked, the touching ones again.
  await page.check('#within');
  await shown(inside.length);
  const highlighted = await page.locator('path[data-selected="true"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-chip')).sort());
  assert.deepEqual(highlighted, inside);
  await screenshot(page, 'aoi-within');
  await page.uncheck('#within');
  await shown(expected.length);

  await page.fill('#aoi-name', 'drawn_area');
  await page.click('#save');
  await page.waitForFunction(() => /^saved /.test(document.getElementById('message')?.textContent ?? ''), undefined, { timeout: 10_000 });
  const msg = await page.textContent('#message');
  assert.match(msg ?? '', new RegExp(`saved ${expected.length} chips`));
  await screenshot(page, 'aoi-saved');

  const read = (f: string) => (JSON.parse(readFileSync(f, 'utf8')) as { features: Feature[] }).features.map((x) => x.properties.id).sort();
  assert.deepEqual(read(`${tmp.dir}/aoi_selections/drawn_area_chip_payload.geojson`), expected);
  assert.deepEqual(read(`${tmp.dir}/aoi_selections/drawn_area_chip_payload_5070.geojson`), expected);

  // Edit: drag the bottom-left vertex down (the AOI grows over the chip row below it); the live count follows the edited polygon.
  await page.click('.leaflet-pm-icon-edit');
  await page.waitForSelector('.marker-icon');
  const from = corners[0] as { x: number; y: number };
  await page.mouse.move(box.x + Math.round(from.x), box.y + Math.round(from.y));
  await page.mouse.down();
  await page.mouse.move(box.x + Math.round(from.x), box.y + Math.round(from.y) + 100, { steps: 8 });
  await page.mouse.up();
  const edited = await page.evaluate(() => {
    const layers = (window as unknown as { hlsAoi: { map: { pm: { getGeomanDrawLayers(): Array<{ toGeoJSON(): unknown }> } } } }).hlsAoi.map.pm.getGeomanDrawLayers();
    return layers.map((l) => l.toGeoJSON());
  });
  // Every chip the enlarged AOI touches was touched already; the strict rule shows the growth.
  const after = chipsInAoi(chips, aoiGeometries(edited[0])).length;
  assert.deepEqual(chipsInAoi(chips, aoiGeometries(edited[0])).map((c) => c.id).sort(), chipsTouchingAoiGdal(chips, (edited[0] as { geometry: unknown }).geometry));
  await shown(after);
  const afterWithin = chipsInAoi(chips, aoiGeometries(edited[0]), 'within').length;
  assert.ok(afterWithin > inside.length, `the enlarged AOI holds more chips wholly (${afterWithin} > ${inside.length})`);
  await page.check('#within');
  await shown(afterWithin);
  await screenshot(page, 'aoi-edited');
  await page.close();
});

test('a configured base map is fetched from its tile URL', async () => {
  const tileFile = join(VENDOR_DIRS.leaflet as string, 'images', 'marker-icon.png');
  const tiles: string[] = [];
  const tileServer = createServer((req, res) => {
    tiles.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(readFileSync(tileFile));
  });
  await new Promise<void>((r) => tileServer.listen(0, '127.0.0.1', () => r()));
  const port = (tileServer.address() as AddressInfo).port;
  const withMap = await startWebServer({ chips: chips.slice(0, 10), outDir: tmp.dir, baseMap: { url: `http://127.0.0.1:${port}/{z}/{x}/{y}.png`, attribution: 'test tiles' } });
  try {
    const page = await browser.newPage();
    await page.goto(`${withMap.url}/`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await waitFor(() => tiles.length > 0, { what: 'a base-map tile request' });
    assert.match(tiles[0] ?? '', /^\/\d+\/\d+\/\d+\.png$/);
    assert.match((await page.textContent('.leaflet-control-attribution')) ?? '', /test tiles/);
    await page.close();
  } finally {
    await withMap.close();
    tileServer.closeAllConnections();
    tileServer.close();
  }
});
