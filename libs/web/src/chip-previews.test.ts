// The chip previews in real headless Chromium: a run whose chip has quick-looks (as the chipper writes them
// with config quicklooks) shows its three dates and its mask when clicked; the selected chip is outlined.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Bus } from '@hls/bus';
import { writeQuicklooks } from '@hls/chips';
import { ConfigSchema, NatsConfigSchema, SUBJECTS, datasetDir, makeEvent, messageId } from '@hls/contracts';
import { indexChips, type AssignedChip } from '@hls/geo';
import { unreadRunInputs } from '@hls/runtime/testing';
import { createLogger } from '@hls/telemetry';
import { spawnNatsServer, tempDir, waitFor } from '@hls/testing';
import { startWebApp, type WebApp } from './app.ts';
import { launchChromium, screenshot, type BrowserHandle } from './testing/browser.ts';
import { RUN, accepted, clipped, indexed, tileReady, type Step } from './testing/events.ts';
import { CHIPS_FILE, GRID_KML, requireFixtures } from './testing/fixtures.ts';

let nats: Awaited<ReturnType<typeof spawnNatsServer>>;
let app: WebApp;
let bus: Bus;
let browser: BrowserHandle;
let a: AssignedChip;
let b: AssignedChip;
const tmp = tempDir('hls-web-looks-');
const N = 224;

before(async () => {
  requireFixtures();
  nats = await spawnNatsServer();
  const idx = await indexChips(CHIPS_FILE, GRID_KML, { cacheFile: false });
  const group = idx.tiles.find((t) => t.chipIds.length >= 2);
  assert.ok(group, 'a tile with two chips');
  const of = (id: string | undefined) => idx.assigned.find((x) => x.chip.id === id) as AssignedChip;
  [a, b] = [of(group.chipIds[0]), of(group.chipIds[1])];
  const cfg = NatsConfigSchema.parse({ url: nats.url });
  app = await startWebApp({ chipsFile: CHIPS_FILE, gridFile: GRID_KML, outDir: tmp.dir, nats: cfg });
  bus = await Bus.connect({ nats: cfg, name: 'web looks test', log: createLogger({ name: 'test', level: 'warn' }) });
  await bus.ensureTopology();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await app?.close();
  await bus?.close();
  await nats?.stop();
  tmp.cleanup();
});

const publish = (s: Step, entity: string) => bus.publishRaw(s.subject, JSON.stringify(s.data), { msgId: messageId(s.subject, RUN, entity) });

test('clicking a clipped chip shows its three dates and its mask; the selected chip is outlined', async () => {
  const config = ConfigSchema.parse({ data_dir: tmp.dir, train_dataset_name: 'looks' });
  const requested = makeEvent(SUBJECTS.runRequested, { runId: RUN, requestedAt: '2026-12-01T00:00:00Z', config, inputs: unreadRunInputs(RUN) });
  await bus.publishRaw(SUBJECTS.runRequested, JSON.stringify(requested), { msgId: messageId(SUBJECTS.runRequested, RUN, RUN) });
  // Chip a's quick-looks: a gradient per date, the mask in stripes of every class.
  const bands = Array.from({ length: 18 }, (_, k) => Int16Array.from({ length: N * N }, (_, i) => ((i % N) * 12 + Math.floor(k / 6) * 600 + (k % 6) * 50) % 3200));
  const mask = Uint8Array.from({ length: N * N }, (_, i) => Math.floor((i % N) / 16) % 14);
  await writeQuicklooks(datasetDir(tmp.dir, 'looks'), a.chip.id, N, bands, mask);

  const tile = a.tile.name;
  await publish(indexed(a.chip.id, tile, a.chip.center), a.chip.id);
  await publish(indexed(b.chip.id, tile, b.chip.center), b.chip.id);
  await publish(tileReady(tile, [a.chip.id, b.chip.id]), tile);
  await publish(clipped(a.chip.id, tile), a.chip.id);
  await publish(accepted(a.chip.id, tile), a.chip.id);
  await waitFor(() => app.feed?.snapshot(RUN)?.chips.find((c) => c.id === a.chip.id)?.state === 'accepted', { what: 'chip accepted in the feed' });

  // The route: PNGs of the run's dataset dir; unknown chip 404, bad view 400.
  const ok = await fetch(`${app.url}/api/runs/${RUN}/chips/${a.chip.id}/quicklook/mask.png`);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'image/png');
  assert.deepEqual([...new Uint8Array(await ok.arrayBuffer()).subarray(1, 4)], [0x50, 0x4e, 0x47]);
  assert.equal((await fetch(`${app.url}/api/runs/${RUN}/chips/${b.chip.id}/quicklook/t1.png`)).status, 404);
  assert.equal((await fetch(`${app.url}/api/runs/${RUN}/chips/${a.chip.id}/quicklook/t9.png`)).status, 400);
  assert.equal((await fetch(`${app.url}/api/runs/${RUN}/chips/..%2f..%2fetc/quicklook/t1.png`)).status, 400);

  const page = await browser.newPage();
  await page.goto(`${app.url}/run?run=${RUN}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  await page.waitForSelector(`path[data-chip="${a.chip.id}"][data-state="accepted"]`, { timeout: 15_000 });
  await page.evaluate((ids) => {
    const w = window as unknown as { hlsRun: { map: { fitBounds(b: unknown, o: object): void }; layers: Map<string, { getBounds(): { extend(x: unknown): unknown } }> } };
    const bounds = w.hlsRun.layers.get(ids[0] as string)?.getBounds();
    bounds?.extend(w.hlsRun.layers.get(ids[1] as string)?.getBounds());
    w.hlsRun.map.fitBounds(bounds, { animate: false, maxZoom: 11 });
  }, [a.chip.id, b.chip.id]);
  await page.click(`path[data-chip="${a.chip.id}"]`);
  await page.waitForSelector('#chip-panel:not([hidden])');
  // All four images load (a broken one would be removed), each at the chip's 224 px.
  await page.waitForFunction(() => {
    const imgs = Array.from(document.querySelectorAll<HTMLImageElement>('#chip-looks img'));
    return imgs.length === 4 && imgs.every((i) => i.complete && i.naturalWidth === 224);
  }, undefined, { timeout: 15_000 });
  const views = await page.$$eval('#chip-looks img', (imgs) => imgs.map((i) => (i as HTMLImageElement).dataset.view));
  assert.deepEqual(views, ['t1', 't2', 't3', 'mask']);
  const captions = await page.$$eval('#chip-looks figcaption', (c) => c.map((x) => x.textContent));
  assert.deepEqual(captions, ['2022-06-01', '2022-07-01', '2022-08-10', 'label mask']);
  assert.equal(await page.locator(`path[data-chip="${a.chip.id}"][data-selected]`).count(), 1, 'the clicked chip is outlined');
  assert.equal(await page.locator('path[data-chip][data-selected]').count(), 1, 'only the clicked chip');
  await screenshot(page, 'run-chip-previews');

  // A chip without quick-looks (not clipped yet) shows none, and takes the outline.
  await page.click(`path[data-chip="${b.chip.id}"]`);
  await page.waitForFunction((id) => document.getElementById('chip-title')?.textContent === id, b.chip.id);
  assert.equal(await page.locator('#chip-looks img').count(), 0);
  assert.equal(await page.locator(`path[data-chip="${b.chip.id}"][data-selected]`).count(), 1);
  await page.close();
});
