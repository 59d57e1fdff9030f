import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BANDS,
  ConfigSchema,
  SUBJECTS,
  bandFileName,
  makeEvent,
  tileBandPath,
  type EventOf,
  type GranuleId,
  type Subject,
} from '@hls/contracts';
import { startProvider, type Provider } from '@hls/ipfs';
import type { ServiceContext } from '@hls/runtime';
import { createLogger } from '@hls/telemetry';
import { closeFetchers, handleSceneSelected } from './handler.ts';

const GRANULE = 'HLS.S30.T15TVG.2022152T170851.v2.0' as GranuleId;
let root: string;
let provider: Provider;
const originals = new Map<string, Buffer>();

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'hls-fetcher-'));
  const served = join(root, 'served', GRANULE);
  mkdirSync(served, { recursive: true });
  for (const [i, band] of BANDS.entries()) {
    const bytes = randomBytes(100_000 + i * 90_000);
    writeFileSync(join(served, bandFileName(GRANULE, band)), bytes);
    originals.set(band, bytes);
  }
  provider = await startProvider({ dir: join(root, 'served'), storeDir: join(root, 'blocks') });
});
after(async () => {
  await closeFetchers();
  await provider.close();
  rmSync(root, { recursive: true, force: true });
});

interface Published {
  subject: Subject;
  event: Record<string, unknown>;
  msgId: string;
}

function fakeContext(datasetDir: string, gateway: string): { ctx: ServiceContext; published: Published[] } {
  const published: Published[] = [];
  const config = ConfigSchema.parse({ ipfs: { backends: [{ type: 'gateway', urls: [gateway] }], timeout_ms: 500, retries: 1, concurrency: 4 } });
  const run = makeEvent(SUBJECTS.runRequested, { runId: 'run1', requestedAt: new Date().toISOString(), config, chipPayload: '/x.geojson', gridKml: '/g.kml' } as never);
  const kv = {
    get: () => Promise.reject(new Error('kv not used')),
    put: () => Promise.reject(new Error('kv not used')),
    create: () => Promise.reject(new Error('kv not used')),
    update: () => Promise.reject(new Error('kv not used')),
    keys: () => Promise.reject(new Error('kv not used')),
  };
  const ctx = {
    service: 'ipfs-fetcher',
    log: createLogger({ name: 'test', level: 'silent' }),
    run: async () => run,
    datasetDir: async () => datasetDir,
    publish: async (subject: Subject, event: unknown, msgId: string) => {
      makeEvent(subject, event as never); // validates like the real publisher
      published.push({ subject, event: event as Record<string, unknown>, msgId });
    },
    kv: { runs: kv, tiles: kv, chips: kv },
    working: () => undefined,
    annotate: () => undefined,
    signal: new AbortController().signal,
  } as unknown as ServiceContext;
  return { ctx, published };
}

function sceneEvent(cids: Map<string, string>): EventOf<'hls.scene.selected'> {
  return makeEvent(SUBJECTS.sceneSelected, {
    runId: 'run1',
    tileId: '15TVG',
    chipIds: ['chip_001_002', 'chip_003_004'],
    slot: 0,
    granuleIds: [GRANULE, 'HLS.S30.T15TVG.2022172T170851.v2.0', 'HLS.S30.T15TVG.2022192T170851.v2.0'],
    scene: {
      granuleId: GRANULE,
      tileId: '15TVG',
      date: '2022-06-01',
      cloudCover: 1,
      spatialCoverage: 100,
      bands: BANDS.map((band) => ({ band, filename: bandFileName(GRANULE, band), cid: cids.get(band) })),
    },
  } as never);
}

const bandCids = (): Map<string, string> =>
  new Map(BANDS.map((b) => [b, provider.files.find((f) => f.path.endsWith(bandFileName(GRANULE, b)))!.cid.toString()]));

test('fetches the 7 bands to tiles/<granule>/<granule>.<band>.tif and publishes hls.band.fetched per band', async () => {
  const dataset = join(root, 'ds1');
  const { ctx, published } = fakeContext(dataset, provider.gateway);
  await handleSceneSelected(sceneEvent(bandCids()), ctx);
  assert.equal(published.length, 7);
  for (const band of BANDS) {
    const rel = tileBandPath(GRANULE, band);
    assert.deepEqual(readFileSync(join(dataset, rel)), originals.get(band), band);
    const p = published.find((x) => x.event.band === band);
    assert.equal(p?.subject, SUBJECTS.bandFetched);
    assert.equal(p?.event.path, rel);
    assert.equal(p?.event.bytes, originals.get(band)?.length);
    assert.equal(p?.event.reused, false);
    assert.equal(p?.msgId, `hls.band.fetched:run1:${GRANULE}:${band}`);
  }
  // Redelivery: files already there and verified are not fetched again.
  const before = provider.store.servedCount();
  const again = fakeContext(dataset, provider.gateway);
  await handleSceneSelected(sceneEvent(bandCids()), again.ctx);
  assert.equal(provider.store.servedCount(), before);
  assert.ok(again.published.every((p) => p.event.reused === true));
});

test('a file at the final path with other bytes is replaced by the verified download', async () => {
  const dataset = join(root, 'ds2');
  const rel = tileBandPath(GRANULE, 'B03');
  mkdirSync(join(dataset, rel, '..'), { recursive: true });
  writeFileSync(join(dataset, rel), 'not the band');
  const { ctx, published } = fakeContext(dataset, provider.gateway);
  await handleSceneSelected(sceneEvent(bandCids()), ctx);
  assert.deepEqual(readFileSync(join(dataset, rel)), originals.get('B03'));
  assert.equal(published.find((p) => p.event.band === 'B03')?.event.reused, false);
});

test('a CID still unavailable after its retries fails the tile and every chip with cid-unavailable', async () => {
  const dataset = join(root, 'ds3');
  const cids = bandCids();
  const missing = cids.get('B8A') as string;
  provider.faults.missing.add(missing);
  try {
    const { ctx, published } = fakeContext(dataset, provider.gateway);
    await handleSceneSelected(sceneEvent(cids), ctx);
    assert.deepEqual(
      published.map((p) => p.subject),
      [SUBJECTS.tileFailed, SUBJECTS.chipFailed, SUBJECTS.chipFailed],
    );
    for (const p of published) assert.equal(p.event.reason, `cid-unavailable: ${missing}`);
    assert.match(String(published[0]?.event.detail), /B8A/);
    assert.match(String(published[1]?.event.error), new RegExp(GRANULE.replace(/\./g, '\\.')));
    assert.equal(published[1]?.msgId, 'hls.chip.failed:run1:chip_001_002');
    assert.equal(existsSync(join(dataset, tileBandPath(GRANULE, 'B8A'))), false);
    assert.ok(statSync(join(dataset, tileBandPath(GRANULE, 'B02'))).size > 0, 'the bands that could be had are kept for a retry');
  } finally {
    provider.faults.missing.delete(missing);
  }
});
