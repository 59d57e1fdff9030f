// The run view in real headless Chromium against a private nats-server: real pipeline events for two
// real chips (valid per the contracts schemas, with traceparent headers) change the chips' colours and
// the counts live; the chip panel shows tile, scenes, QA, reason and trace id (a link with --trace-url). A second server started
// afterwards rebuilds the same state from the stream.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Bus } from '@hls/bus';
import { NatsConfigSchema, messageId } from '@hls/contracts';
import { RunLedger } from '@hls/ledger';
import { indexChips, type AssignedChip } from '@hls/geo';
import { createLogger } from '@hls/telemetry';
import { spawnNatsServer, tempDir, waitFor } from '@hls/testing';
import { headers } from '@nats-io/nats-core';
import type { Page } from 'playwright-core';
import { startWebApp, type WebApp } from './app.ts';
import type { RunSnapshot } from './run-model.ts';
import { launchChromium, screenshot, type BrowserHandle } from './testing/browser.ts';
import { RUN, accepted, clipped, indexed, rejected, tileReady, type Step } from './testing/events.ts';
import { CHIPS_FILE, GRID_KML, requireFixtures } from './testing/fixtures.ts';

let nats: Awaited<ReturnType<typeof spawnNatsServer>>;
let app: WebApp;
let bus: Bus;
let browser: BrowserHandle;
let a: AssignedChip;
let b: AssignedChip;
let idx: Awaited<ReturnType<typeof indexChips>>;
const tmp = tempDir('hls-web-run-');
const TRACE_A = '0af7651916cd43dd8448eb211c80319c';
const TRACE_B = '4bf92f3577b34da6a3ce929d0e0e4736';
const JAEGER = 'http://jaeger.invalid:16686/trace/{traceId}';

before(async () => {
  requireFixtures();
  nats = await spawnNatsServer();
  // Two real chips of one tile, as chip-index assigns them.
  idx = await indexChips(CHIPS_FILE, GRID_KML, { cacheFile: false });
  const group = idx.tiles.find((t) => t.chipIds.length >= 2);
  assert.ok(group, 'a tile with two chips');
  const of = (id: string | undefined) => idx.assigned.find((x) => x.chip.id === id);
  [a, b] = [of(group.chipIds[0]), of(group.chipIds[1])] as [AssignedChip, AssignedChip];
  assert.ok(a && b);
  const cfg = NatsConfigSchema.parse({ url: nats.url });
  app = await startWebApp({ chipsFile: CHIPS_FILE, gridFile: GRID_KML, outDir: tmp.dir, nats: cfg, traceUrl: JAEGER });
  assert.ok(app.feed, `run feed on: ${app.natsProblem ?? ''}`);
  bus = await Bus.connect({ nats: cfg, name: 'web test publisher', log: createLogger({ name: 'test', level: 'warn' }) });
  // The page was started before any run: the services create the stream and buckets and the feed picks them up.
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

async function publish(s: Step, trace: string, entity: string): Promise<void> {
  const h = headers();
  h.set('traceparent', `00-${trace}-00f067aa0ba902b7-01`);
  await bus.publishRaw(s.subject, JSON.stringify(s.data), { msgId: messageId(s.subject, RUN, entity), headers: h });
}

const fillOf = (page: Page, id: string) => page.locator(`path[data-chip="${id}"]`).getAttribute('fill');
const count = async (page: Page, s: string) => Number(await page.textContent(`#count-${s}`));
async function waitState(page: Page, id: string, state: string): Promise<void> {
  await page.waitForSelector(`path[data-chip="${id}"][data-state="${state}"]`, { timeout: 15_000 });
}

test('chip colours and stage counts follow the run events live; the chip panel explains a rejection', async () => {
  const tile = a.tile.name;
  await publish(indexed(a.chip.id, tile, a.chip.center), TRACE_A, a.chip.id);
  await publish(indexed(b.chip.id, tile, b.chip.center), TRACE_B, b.chip.id);
  await waitFor(() => app.feed?.runs().includes(RUN), { what: 'run seen by the feed' });

  const page = await browser.newPage();
  await page.goto(`${app.url}/run?run=${RUN}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  await waitState(page, a.chip.id, 'indexed');
  await waitState(page, b.chip.id, 'indexed');
  assert.equal(await count(page, 'indexed'), 2);
  assert.equal(await page.locator('path[data-chip][data-state="indexed"]').count(), 2, 'only the two indexed chips are coloured');
  const indexedFill = await fillOf(page, a.chip.id);
  // Zoom onto the two chips so they can be clicked.
  await page.evaluate((ids) => {
    const w = window as unknown as { hlsRun: { map: { fitBounds(b: unknown, o: object): void }; layers: Map<string, { getBounds(): { extend(x: unknown): unknown } }> } };
    const bounds = w.hlsRun.layers.get(ids[0] as string)?.getBounds();
    bounds?.extend(w.hlsRun.layers.get(ids[1] as string)?.getBounds());
    w.hlsRun.map.fitBounds(bounds, { animate: false, maxZoom: 11 });
  }, [a.chip.id, b.chip.id]);
  await screenshot(page, 'run-indexed');

  await publish(tileReady(tile, [a.chip.id, b.chip.id]), TRACE_A, tile);
  await waitState(page, a.chip.id, 'reprojected');
  await waitState(page, b.chip.id, 'reprojected');
  await publish(clipped(a.chip.id, tile), TRACE_A, a.chip.id);
  await publish(clipped(b.chip.id, tile), TRACE_B, b.chip.id);
  await waitState(page, a.chip.id, 'clipped');
  await waitState(page, b.chip.id, 'clipped');
  assert.equal(await count(page, 'clipped'), 2);
  assert.equal(await count(page, 'indexed'), 0);
  await screenshot(page, 'run-clipped');

  await publish(accepted(a.chip.id, tile), TRACE_A, a.chip.id);
  await publish(rejected(b.chip.id, tile), TRACE_B, b.chip.id);
  await waitState(page, a.chip.id, 'accepted');
  await waitState(page, b.chip.id, 'rejected');
  assert.equal(await count(page, 'accepted'), 1);
  assert.equal(await count(page, 'rejected'), 1);
  assert.equal(await count(page, 'clipped'), 0);
  const fills = new Set([indexedFill, await fillOf(page, a.chip.id), await fillOf(page, b.chip.id)]);
  assert.equal(fills.size, 3, `indexed, accepted and rejected chips get different colours: ${[...fills].join(' ')}`);
  // The tile is labelled on the map; a chip rejected for another reason gets another colour and legend row.
  await page.waitForSelector(`.tile-label [data-tile="${tile}"]`, { timeout: 15_000 });
  const c = idx.assigned.filter((x) => x.chip.id !== a.chip.id && x.chip.id !== b.chip.id)[1] as AssignedChip;
  await publish(indexed(c.chip.id, c.tile.name, c.chip.center), TRACE_B, c.chip.id);
  await publish(rejected(c.chip.id, c.tile.name, 'no-scenes', `tile ${c.tile.name}: 2 candidates`), TRACE_B, c.chip.id);
  // Off the zoomed view: present in the page, not visible.
  await page.waitForSelector(`path[data-chip="${c.chip.id}"][data-state="rejected"]`, { state: 'attached', timeout: 15_000 });
  assert.equal(await page.getAttribute(`path[data-chip="${c.chip.id}"]`, 'data-reason'), 'no-scenes');
  assert.notEqual(await fillOf(page, c.chip.id), await fillOf(page, b.chip.id), 'qa and no-scenes rejections get different colours');
  assert.equal(await page.textContent('#reasons tr[data-reason="qa"] td.n'), '1');
  assert.equal(await page.textContent('#reasons tr[data-reason="no-scenes"] td.n'), '1');
  await page.waitForSelector(`.tile-label [data-tile="${c.tile.name}"]`, { state: 'attached', timeout: 15_000 });

  await page.click(`path[data-chip="${b.chip.id}"]`);
  await page.waitForSelector('#chip-panel:not([hidden])');
  const panel = (await page.textContent('#chip-panel')) ?? '';
  assert.match(panel, new RegExp(b.chip.id));
  assert.match(panel, new RegExp(tile));
  assert.match(panel, new RegExp(`2022-06-01 HLS\\.S30\\.T${tile}\\.2022152T170851\\.v2\\.0`));
  assert.match(panel, /qa: bad Fmask value 40\.20 %/);
  assert.match(panel, /40\.20, 0\.15, 2\.30/);
  assert.match(panel, new RegExp(TRACE_B));
  assert.doesNotMatch(panel, new RegExp(TRACE_A), 'only the chip’s own events give its trace ids');
  // --trace-url: the trace id is a link into the trace viewer.
  assert.equal(await page.getAttribute('#chip-panel a.trace-link', 'href'), `http://jaeger.invalid:16686/trace/${TRACE_B}`);
  await screenshot(page, 'run-terminal-panel');
  await page.close();
});

test('a server started after the events rebuilds the run from the stream (with trace ids) and the chips KV', async () => {
  // A chip whose events are gone from the stream but whose terminal record is in the KV.
  const gone = idx.assigned.find((x) => x.chip.id !== a.chip.id && x.chip.id !== b.chip.id) as AssignedChip;
  await (await RunLedger.open(bus)).recordChipTerminal(RUN, gone.chip.id, { state: 'failed', tileId: gone.tile.name, reason: 'ipfs: no provider for the CID' });
  const late = await startWebApp({ chipsFile: CHIPS_FILE, outDir: tmp.dir, nats: NatsConfigSchema.parse({ url: nats.url }) });
  try {
    const snap = await waitFor(
      async () => {
        const r = await fetch(`${late.url}/api/runs/${RUN}`);
        const s = r.ok ? ((await r.json()) as RunSnapshot) : undefined;
        // a accepted, b and the third chip rejected (first test), `gone` failed.
        return s && s.counts.accepted + s.counts.rejected + s.counts.failed === 4 ? s : undefined;
      },
      { what: 'replayed run snapshot' },
    );
    const byId = new Map(snap.chips.map((c) => [c.id, c]));
    assert.equal(byId.get(a.chip.id)?.state, 'accepted');
    assert.equal(byId.get(b.chip.id)?.state, 'rejected');
    assert.deepEqual(byId.get(b.chip.id)?.traceIds, [TRACE_B]);
    assert.equal(byId.get(gone.chip.id)?.state, 'failed');
    assert.equal(byId.get(gone.chip.id)?.reason, 'ipfs');
    assert.equal(byId.get(gone.chip.id)?.detail, 'no provider for the CID');
    assert.deepEqual(await (await fetch(`${late.url}/api/runs`)).json(), { enabled: true, runs: [RUN] });
  } finally {
    await late.close();
  }
});
