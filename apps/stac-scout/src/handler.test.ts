import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseEvent } from '@hls/contracts';
import type { EventOf } from '@hls/contracts';
import { PermanentError } from '@hls/runtime';
import { realServiceContext, type RealServiceContext } from '@hls/runtime/testing';
import { startStacServer, writeGranuleDirectory } from '@hls/stac';
import type { StacServer } from '@hls/stac';
import { startNats, type NatsHandle } from '@hls/testing';
import { stacScoutDeps, tileRequestedHandler } from './handler.ts';

const handleTileRequested = tileRequestedHandler(stacScoutDeps());

const dir = mkdtempSync(join(tmpdir(), 'stac-scout-'));
const TVG: [number, number][] = [[-94.2, 42.4], [-92.9, 42.4], [-92.9, 41.4], [-94.2, 41.4]];
let server: StacServer;
let nats: NatsHandle;
let real: RealServiceContext | undefined;

/** A fresh context (it reads back only what it publishes) on its own run, since each test has its own config. */
async function context(runId: string, config: Record<string, unknown>): Promise<RealServiceContext> {
  await real?.close();
  real = await realServiceContext({ nats, service: 'stac-scout', run: { runId, config: { ...config, data_dir: dir } } });
  return real;
}

const requested = (runId: string): EventOf<'hls.tile.requested'> => parseEvent('hls.tile.requested', { ...event, runId });

const event = {
  schemaVersion: 1,
  tileId: '15TVG',
  chipIds: ['chip_001_002', 'chip_001_003'],
  epsg: 32615,
  footprintUtm: [399960, 4590240, 509760, 4700040],
  searchGeometry: { type: 'Polygon', coordinates: [[[-93.8, 41.8], [-93.2, 41.8], [-93.2, 42.2], [-93.8, 42.2], [-93.8, 41.8]]] },
};

before(async () => {
  const g = (doy: number): string => `HLS.S30.T15TVG.2022${String(doy).padStart(3, '0')}T170851.v2.0`;
  await writeGranuleDirectory(join(dir, 'granules'), [
    ...[100, 150, 200, 250].map((d, i) => ({ granuleId: g(d), cloudCover: i, spatialCoverage: 100, footprint: TVG })),
    // Outside the run's search window (2022-03-01..2022-09-30).
    { granuleId: g(20), cloudCover: 0, spatialCoverage: 100, footprint: TVG },
    { granuleId: 'HLS.S30.T15TWG.2022150T170851.v2.0', cloudCover: 0, spatialCoverage: 100, footprint: TVG },
    { granuleId: g(160), cloudCover: 'cloudy', spatialCoverage: 100, footprint: TVG },
  ]);
  server = await startStacServer({ dir: join(dir, 'granules'), maxPageSize: 2 });
  nats = await startNats();
});
after(async () => {
  await real?.close();
  await nats?.stop();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('stac-scout handler', () => {
  it('publishes the tile scenes found through the paged STAC API, leaving out other tiles and dates', async () => {
    const { ctx, published } = await context('run-1', { stac: { url: server.url }, cmr_stac_params: { async_concurrency_limit: 2 } });
    // The bad document is already refused when the server loads the directory: it never becomes an item.
    assert.equal(server.problems.length, 1);
    await handleTileRequested(requested('run-1'), ctx);
    const stored = await published();
    assert.equal(stored.length, 1);
    const p = stored[0]!;
    assert.equal(p.subject, 'hls.tile.searched');
    assert.equal(p.msgId, 'hls.tile.searched:run-1:15TVG');
    const ev = p.data as EventOf<'hls.tile.searched'>;
    assert.deepEqual(ev.chipIds, ['chip_001_002', 'chip_001_003']);
    assert.deepEqual(ev.scenes.map((s) => [s.granuleId, s.cloudCover, s.spatialCoverage]), [
      ['HLS.S30.T15TVG.2022100T170851.v2.0', 0, 100],
      ['HLS.S30.T15TVG.2022150T170851.v2.0', 1, 100],
      ['HLS.S30.T15TVG.2022200T170851.v2.0', 2, 100],
      ['HLS.S30.T15TVG.2022250T170851.v2.0', 3, 100],
    ]);
  });

  it('keeps only granules whose footprint touches one of the tile\'s chips (chipAreas), as the original\'s chip-polygon search', async () => {
    const square = (x: number, y: number) => ({ type: 'Polygon' as const, coordinates: [[[x, y], [x + 0.08, y], [x + 0.08, y + 0.06], [x, y + 0.06], [x, y]]] });
    const scenesFor = async (runId: string, chipAreas: ReturnType<typeof square>[]) => {
      const { ctx, published } = await context(runId, { stac: { url: server.url } });
      await handleTileRequested(parseEvent('hls.tile.requested', { ...event, runId, chipAreas }), ctx);
      return ((await published())[0]!.data as EventOf<'hls.tile.searched'>).scenes;
    };
    // One chip inside the granules' footprint, one far outside it: every granule touches the first.
    assert.equal((await scenesFor('run-areas-1', [square(-93.6, 41.9), square(-80, 30)])).length, 4);
    // Only chips outside every footprint: no candidate is left (the STAC items' geometry is their footprint).
    assert.deepEqual(await scenesFor('run-areas-2', [square(-80, 30), square(-91, 42.5)]), []);
  });

  it('reads a local granule directory and reports bad documents while keeping the rest', async () => {
    const { ctx, published } = await context('run-dir', { stac: { type: 'directory', path: join(dir, 'granules') } });
    await handleTileRequested(requested('run-dir'), ctx);
    const stored = await published();
    assert.deepEqual(stored.map((p) => p.msgId), ['hls.tile.searched:run-dir:15TVG']);
    const ev = stored[0]!.data as EventOf<'hls.tile.searched'>;
    assert.equal(ev.scenes.length, 4);
    assert.equal(ev.problems.length, 1);
    assert.equal(ev.problems[0]!.granuleId, 'HLS.S30.T15TVG.2022160T170851.v2.0');
    assert.match(ev.problems[0]!.message, /CLOUD_COVERAGE must be a number from 0 to 100, got "cloudy"/);
  });

  it('fills CIDs from the configured mapping file', async () => {
    const mapping = join(dir, 'map.json');
    const cid = 'bafybeib77f7bspur2pekd4nbodseysl2cdf5zsm4smtp25pi625smg3hzy';
    await writeFile(mapping, JSON.stringify([{ filename: 'HLS.S30.T15TVG.2022150T170851.v2.0.B11.tif', cid }]));
    const { ctx, published } = await context('run-cids', { stac: { type: 'directory', path: join(dir, 'granules'), cid_mapping_file: mapping } });
    await handleTileRequested(requested('run-cids'), ctx);
    const ev = (await published())[0]!.data as EventOf<'hls.tile.searched'>;
    assert.equal(ev.scenes[1]!.bands.find((b) => b.band === 'B11')!.cid, cid);
  });

  it('turns a client error into a permanent error naming the tile and URL', async () => {
    const { ctx, published } = await context('run-fault', { stac: { url: server.url } });
    server.faults = { repeatFirstPage: true };
    try {
      await assert.rejects(
        handleTileRequested(requested('run-fault'), ctx),
        (e: unknown) => e instanceof PermanentError && /tile 15TVG: scene search on http:\/\/127\.0\.0\.1:\d+ failed: .*page 2 repeats page 1/.test(e.message),
      );
      assert.deepEqual(await published(), []);
    } finally {
      server.faults = {};
    }
  });
});
