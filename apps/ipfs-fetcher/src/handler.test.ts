import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { BANDS, SUBJECTS, bandFileName, makeEvent, tileBandPath, type BandAsset, type EventOf, type GranuleId } from '@hls/contracts';
import { startLpDaacEmulator } from '@hls/stac';
import { startProvider, type Provider } from '@hls/ipfs';
import { realServiceContext, type RealServiceContext } from '@hls/runtime/testing';
import { startNats, tiffLike, type NatsHandle } from '@hls/testing';
import { bandSourceSets, sceneSelectedHandler } from './handler.ts';

const GRANULE = 'HLS.S30.T15TVG.2022152T170851.v2.0' as GranuleId;
let root: string;
let provider: Provider;
let nats: NatsHandle;
const contexts: RealServiceContext[] = [];
const originals = new Map<string, Buffer>();
// The test's own source sets, given to the handler as its service gives it them.
const sourceSets = bandSourceSets();
const handleSceneSelected = sceneSelectedHandler({ sources: sourceSets.sources });

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'hls-fetcher-'));
  const served = join(root, 'served', GRANULE);
  mkdirSync(served, { recursive: true });
  for (const [i, band] of BANDS.entries()) {
    const bytes = tiffLike(100_000 + i * 90_000);
    writeFileSync(join(served, bandFileName(GRANULE, band)), bytes);
    originals.set(band, bytes);
  }
  provider = await startProvider({ dir: join(root, 'served'), storeDir: join(root, 'blocks') });
  nats = await startNats();
});
after(async () => {
  await sourceSets.close();
  for (const c of contexts) await c.close();
  await nats?.stop();
  await provider?.close();
  rmSync(root, { recursive: true, force: true });
});

/** A context on run `runId` whose dataset is `<root>/training_datasets/<runId>`; `events` reads back what it stored. */
async function context(runId: string, extra: Record<string, unknown> = {}): Promise<RealServiceContext & { dataset: string; events(): Promise<Array<{ subject: string; event: Record<string, unknown>; msgId?: string }>> }> {
  const config = { data_dir: root, train_dataset_name: runId, processing: 'tiles', ipfs: { backends: [{ type: 'gateway', urls: [provider.gateway] }], timeout_ms: 15_000, retries: 1, concurrency: 4 }, ...extra };
  const real = await realServiceContext({ nats, service: 'ipfs-fetcher', run: { runId, config } });
  contexts.push(real);
  const events = async () => (await real.published()).map((p) => ({ subject: p.subject, event: p.data as Record<string, unknown>, msgId: p.msgId }));
  return Object.assign(real, { dataset: await real.ctx.datasetDir(runId), events });
}

function sceneEvent(cids: Map<string, string>, runId: string, asset: (band: (typeof BANDS)[number]) => Partial<BandAsset> = () => ({})): EventOf<'hls.scene.selected'> {
  return makeEvent(SUBJECTS.sceneSelected, {
    runId,
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
      bands: BANDS.map((band) => ({ band, filename: bandFileName(GRANULE, band), cid: cids.get(band), ...asset(band) })),
    },
  } as never);
}

const bandCids = (): Map<string, string> =>
  new Map(BANDS.map((b) => [b, provider.files.find((f) => f.path.endsWith(bandFileName(GRANULE, b)))!.cid.toString()]));

test('fetches the 7 bands to tiles/<granule>/<granule>.<band>.tif and publishes hls.band.fetched per band', async () => {
  const { ctx, dataset, events } = await context('run1');
  await handleSceneSelected(sceneEvent(bandCids(), 'run1'), ctx);
  const published = await events();
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
    assert.equal(p?.event.source, 'ipfs');
  }
  // Redelivery: files already there and verified are not fetched again; the same ids are published
  // again (JetStream keeps the first), now saying the files were reused.
  const before = provider.store.servedCount();
  const again = await context('run1');
  await handleSceneSelected(sceneEvent(bandCids(), 'run1'), again.ctx);
  assert.equal(provider.store.servedCount(), before);
  assert.equal(again.acks.length, 7);
  assert.ok(again.acks.every((a) => (a.event as { reused?: boolean }).reused === true && a.duplicate));
  assert.deepEqual(again.acks.map((a) => a.msgId).sort(), published.map((p) => p.msgId).sort());
  assert.deepEqual(await again.events(), []);
});

test('a file at the final path with other bytes is replaced by the verified download', async () => {
  const { ctx, dataset, events } = await context('run2');
  const rel = tileBandPath(GRANULE, 'B03');
  mkdirSync(join(dataset, rel, '..'), { recursive: true });
  writeFileSync(join(dataset, rel), 'not the band');
  await handleSceneSelected(sceneEvent(bandCids(), 'run2'), ctx);
  assert.deepEqual(readFileSync(join(dataset, rel)), originals.get('B03'));
  assert.equal((await events()).find((p) => p.event.band === 'B03')?.event.reused, false);
});

test('a CID still unavailable after its retries fails the tile and every chip, naming the band and the sources tried', async () => {
  const { ctx, dataset, events } = await context('run3');
  const cids = bandCids();
  const missing = cids.get('B8A') as string;
  provider.faults.missing.add(missing);
  try {
    await handleSceneSelected(sceneEvent(cids, 'run3'), ctx);
    const published = await events();
    assert.deepEqual(
      published.map((p) => p.subject),
      [SUBJECTS.tileFailed, SUBJECTS.chipFailed, SUBJECTS.chipFailed],
    );
    for (const p of published) assert.equal(p.event.reason, 'band-unavailable: B8A (tried ipfs)');
    assert.match(String(published[0]?.event.detail), new RegExp(`B8A: ipfs: cid-unavailable: ${missing}`));
    assert.match(String(published[1]?.event.error), new RegExp(GRANULE.replace(/\./g, '\\.')));
    assert.equal(published[1]?.msgId, 'hls.chip.failed:run3:chip_001_002');
    assert.equal(existsSync(join(dataset, tileBandPath(GRANULE, 'B8A'))), false);
    assert.ok(statSync(join(dataset, tileBandPath(GRANULE, 'B02'))).size > 0, 'the bands that could be had are kept for a retry');
  } finally {
    provider.faults.missing.delete(missing);
  }
});

test('no IPFS backend reachable is a transient error: nothing fails, nothing is published, the scene is retried', async () => {
  const runId = 'run4';
  // A port nobody listens on (fetch refuses well-known ports like 9 outright, so take a free one).
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const dead = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  await new Promise((r) => srv.close(r));
  const config = { data_dir: root, train_dataset_name: runId, processing: 'tiles', ipfs: { backends: [{ type: 'gateway', urls: [dead] }], timeout_ms: 500, retries: 1, concurrency: 4 } };
  const real = await realServiceContext({ nats, service: 'ipfs-fetcher', run: { runId, config } });
  contexts.push(real);
  await assert.rejects(handleSceneSelected(sceneEvent(bandCids(), runId), real.ctx), (e: Error) => {
    assert.equal(e.name, 'TransientError');
    assert.match(e.message, /band \w+ of HLS\.S30\.T15TVG\.2022152T170851\.v2\.0: no source served it yet: ipfs: no IPFS backend reachable/);
    return true;
  });
  assert.deepEqual(await real.published(), []);
});

test('a gateway streaming an endless body fails the tile and its chips at the first delivery, cut off at the block limit (issue 15)', async () => {
  const runId = 'run-endless';
  let cutOff = 0;
  const chunk = Buffer.alloc(64 * 1024, 1);
  const endless = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.raw' });
    let open = true;
    res.on('close', () => {
      open = false;
      cutOff++;
    });
    const pump = (): void => {
      while (open && res.write(chunk));
      if (open) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((r) => endless.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(endless.address() as AddressInfo).port}`;
  try {
    const config = { data_dir: root, train_dataset_name: runId, processing: 'tiles', ipfs: { backends: [{ type: 'gateway', urls: [url] }], timeout_ms: 60_000, retries: 0, concurrency: 2, max_block_bytes: 300_000 } };
    const real = await realServiceContext({ nats, service: 'ipfs-fetcher', run: { runId, config } });
    contexts.push(real);
    // Handled (no throw, so no redelivery): the outcome is the tile's failure, with the reason.
    await handleSceneSelected(sceneEvent(bandCids(), runId), real.ctx);
    const published = (await real.published()).map((p) => ({ subject: p.subject, event: p.data as Record<string, unknown> }));
    assert.deepEqual(published.map((p) => p.subject), [SUBJECTS.tileFailed, SUBJECTS.chipFailed, SUBJECTS.chipFailed]);
    assert.equal(published[0]?.event.reason, 'band-unavailable: B02 (tried ipfs)');
    assert.match(String(published[0]?.event.detail), /body cut off past the block's limit of 300000 bytes/);
    assert.match(String(published[1]?.event.error), /body cut off past the block's limit of 300000 bytes/);
    assert.ok(cutOff >= 1);
  } finally {
    endless.closeAllConnections();
    await new Promise((r) => endless.close(r));
  }
});


test('local granule folders: bands used in place, no copy, no IPFS; the event carries the path in place and the source', async () => {
  const folder = join(root, 'granules');
  mkdirSync(join(folder, GRANULE), { recursive: true });
  for (const band of BANDS) writeFileSync(join(folder, GRANULE, bandFileName(GRANULE, band)), tiffLike(4096));
  const served = provider.store.servedCount();
  const { ctx, dataset, events } = await context('run5', { band_sources: ['local'], stac: { type: 'directory', path: folder } });
  await handleSceneSelected(sceneEvent(new Map(), 'run5'), ctx);
  const published = await events();
  assert.equal(published.length, 7);
  for (const band of BANDS) {
    const p = published.find((x) => x.event.band === band);
    assert.equal(p?.subject, SUBJECTS.bandFetched);
    assert.equal(p?.event.path, join(folder, GRANULE, bandFileName(GRANULE, band)));
    assert.equal(p?.event.source, 'local');
    assert.equal(p?.event.bytes, 4096);
    assert.equal(existsSync(join(dataset, tileBandPath(GRANULE, band))), false, 'nothing copied into tiles/');
  }
  assert.equal(provider.store.servedCount(), served, 'IPFS was not asked');

  // A band that is not a TIFF on disk, with no other source: the tile fails naming the band and the source.
  writeFileSync(join(folder, GRANULE, bandFileName(GRANULE, 'B11')), 'this is no TIFF');
  const bad = await context('run5b', { band_sources: ['local'], stac: { type: 'directory', path: folder } });
  await handleSceneSelected(sceneEvent(new Map(), 'run5b'), bad.ctx);
  const failed = await bad.events();
  assert.equal(failed[0]?.subject, SUBJECTS.tileFailed);
  assert.equal(failed[0]?.event.reason, 'band-unavailable: B11 (tried local)');
  assert.match(String(failed[0]?.event.detail), /B11\.tif: not a TIFF/);
});

test('HTTPS from LP DAAC (emulated): Earthdata Login, verified by size and SHA512; local first, https for the rest', async () => {
  const emu = await startLpDaacEmulator({ dir: join(root, 'served'), tokens: ['handler-token'] });
  const folder = join(root, 'partial');
  mkdirSync(join(folder, GRANULE), { recursive: true });
  writeFileSync(join(folder, GRANULE, bandFileName(GRANULE, 'B02')), originals.get('B02') as Buffer);
  process.env.EARTHDATA_TOKEN = 'handler-token';
  try {
    const { ctx, dataset, events } = await context('run6', {
      band_sources: ['local', 'https'],
      stac: { type: 'directory', path: folder },
      earthdata: { auth_hosts: emu.authHosts, retries: 2 },
    });
    emu.faults.disconnectAfter.set(bandFileName(GRANULE, 'B11'), 50_000);
    const meta = (band: (typeof BANDS)[number]): Partial<BandAsset> => {
      const b = originals.get(band) as Buffer;
      return { href: emu.hrefFor(GRANULE, bandFileName(GRANULE, band)), size: b.length, checksum: { algorithm: 'SHA512', value: createHash('sha512').update(b).digest('hex') } };
    };
    await handleSceneSelected(sceneEvent(new Map(), 'run6', meta), ctx);
    const published = await events();
    assert.equal(published.length, 7);
    for (const band of BANDS) {
      const p = published.find((x) => x.event.band === band);
      if (band === 'B02') {
        assert.equal(p?.event.source, 'local');
        assert.equal(p?.event.path, join(folder, GRANULE, bandFileName(GRANULE, band)));
        continue;
      }
      assert.equal(p?.event.source, 'https');
      assert.equal(p?.event.path, tileBandPath(GRANULE, band));
      assert.deepEqual(readFileSync(join(dataset, tileBandPath(GRANULE, band))), originals.get(band), band);
    }
    assert.ok(emu.requests.some((q) => q.server === 'signed' && q.range === 'bytes=50000-' && q.status === 206), 'the cut download resumed with Range');
    assert.ok(emu.requests.every((q) => q.server !== 'signed' || !q.authorization), 'no token to the signed-URL host');

    // Wrong bytes on the server: the tile fails, nothing lands at the final path.
    emu.faults.corrupt.add(bandFileName(GRANULE, 'B12'));
    const bad = await context('run6b', { band_sources: ['https'], earthdata: { auth_hosts: emu.authHosts, retries: 1 } });
    await handleSceneSelected(sceneEvent(new Map(), 'run6b', meta), bad.ctx);
    const failed = await bad.events();
    assert.equal(failed[0]?.event.reason, 'band-unavailable: B12 (tried https)');
    assert.match(String(failed[0]?.event.detail), /SHA512 checksum/);
    assert.doesNotMatch(String(failed[0]?.event.detail), /handler-token|X-Amz-Signature/);
    assert.equal(existsSync(join(bad.dataset, tileBandPath(GRANULE, 'B12'))), false);
  } finally {
    delete process.env.EARTHDATA_TOKEN;
    await emu.close();
  }
});
