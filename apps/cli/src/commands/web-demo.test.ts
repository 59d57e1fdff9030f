// The run view follows a real demo run in headless Chromium: the small demo world runs through the 8
// services on a private nats-server while the page is open, and its chips change state on the map
// (held at "reprojected" until the page has shown them, then released to their terminal states),
// ending with the same counts as the run's summary.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REAL_FIXTURES } from '@hls/common';
import { NatsConfigSchema, SERVICES, SUBJECTS } from '@hls/contracts';
import { formatSummary, runDemo } from '@hls/pipeline';
import type { Handler } from '@hls/runtime';
import { spawnNatsServer, tempDir, waitFor } from '@hls/testing';
import { startWebApp, type WebApp } from '@hls/web';
import { launchChromium, screenshot, type BrowserHandle } from '@hls/web/testing';
import { createServices } from '../registry.ts';

const tmp = tempDir('hls-web-demo-');
let nats: Awaited<ReturnType<typeof spawnNatsServer>>;
let app: WebApp;
let browser: BrowserHandle;
const savedNatsUrl = process.env.NATS_URL;

before(async () => {
  nats = await spawnNatsServer();
  process.env.NATS_URL = nats.url;
  app = await startWebApp({ gridFile: join(REAL_FIXTURES, 's2-grid/sentinel_tile_grid_subset.reconstructed.kml'), outDir: tmp.dir, nats: NatsConfigSchema.parse({ url: nats.url }) });
  assert.ok(app.feed, `run view on: ${app.natsProblem ?? ''}`);
  browser = await launchChromium();
});
after(async () => {
  if (savedNatsUrl === undefined) delete process.env.NATS_URL;
  else process.env.NATS_URL = savedNatsUrl;
  await browser?.close();
  await app?.close();
  await nats?.stop();
  tmp.cleanup();
});

test('chips change state on the map as the demo runs, and end as the summary says', { timeout: 600_000 }, async () => {
  const runId = 'webdemo-1';
  // Clipping waits until the page has shown chips in a state before it: the test sees the run live.
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const services = createServices(SERVICES).map((s) => {
    if (s.def.name !== 'chipper') return s;
    const clip = s.def.handlers[SUBJECTS.chipClip] as Handler<'hls.cmd.chip.clip'>;
    const gated: Handler<'hls.cmd.chip.clip'> = async (ev, ctx) => {
      await gate;
      return clip(ev, ctx);
    };
    return { ...s, def: { ...s.def, handlers: { ...s.def.handlers, [SUBJECTS.chipClip]: gated } } };
  });
  const run = runDemo({ dataDir: join(tmp.dir, 'data'), small: true, services, timeoutMs: 400_000, runId });

  await waitFor(() => app.feed?.runs().includes(runId), { what: 'the run seen by the web server', timeoutMs: 300_000 });
  const page = await browser.newPage();
  await page.goto(`${app.url}/run?run=${runId}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  const count = async (s: string) => Number(await page.textContent(`#count-${s}`));
  // Before clipping can happen, chips stand in a state short of terminal on the map.
  await page.waitForSelector('path[data-chip][data-state="reprojected"]', { timeout: 300_000 });
  const midway = await page.locator('path[data-chip][data-state="reprojected"]').count();
  assert.ok(midway > 0);
  assert.equal(await count('accepted'), 0, 'nothing accepted before clipping is released');
  await screenshot(page, 'web-demo-midway');
  release();

  const r = await run;
  assert.equal(r.complete, true, formatSummary(r));
  await waitFor(async () => (await count('accepted')) === r.accepted && (await count('rejected')) === r.rejected && (await count('failed')) === r.failed, {
    what: `page counts to reach the summary (${r.accepted} accepted, ${r.rejected} rejected, ${r.failed} failed)`,
    timeoutMs: 60_000,
  });
  assert.ok(r.accepted > 0 && r.rejected > 0);
  assert.equal(await page.locator('path[data-chip][data-state="reprojected"]').count(), 0, 'no chip left midway');
  assert.equal(await page.locator('path[data-chip][data-state="accepted"]').count(), r.accepted);
  await screenshot(page, 'web-demo-done');
  await page.close();
});
