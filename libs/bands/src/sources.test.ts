// Local granule folders (in place, size and TIFF header checked) and the ordered chain of sources.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { ConfigSchema, bandFileName, tileBandPath, type BandAsset, type GranuleId } from '@hls/contracts';
import { startLpDaacEmulator, type LpDaacEmulator } from '@hls/stac';
import { freePort } from '@hls/testing';
import { localBand } from './local.ts';
import { BandSources, bandSourceSettings, bandUnavailableReason } from './sources.ts';
import { tiffHeaderProblem } from './tiff-header.ts';

const G = 'HLS.S30.T15TVG.2022152T170851.v2.0' as GranuleId;
let root: string;
let granules: string;
let emu: LpDaacEmulator;

/** A minimal little-endian TIFF: header, one IFD with one entry, then payload. */
function tiff(payload: number): Buffer {
  const b = Buffer.alloc(8 + 2 + 12 + 4 + payload);
  b.write('II', 0, 'latin1');
  b.writeUInt16LE(42, 2);
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(1, 8);
  b.writeUInt16LE(256, 10); // ImageWidth
  b.writeUInt16LE(3, 12);
  b.writeUInt32LE(1, 14);
  b.writeUInt32LE(16, 18);
  randomBytes(payload).copy(b, 26);
  return b;
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'hls-bands-'));
  granules = join(root, 'granules');
  mkdirSync(join(granules, G), { recursive: true });
  writeFileSync(join(granules, G, bandFileName(G, 'B02')), tiff(5000));
  writeFileSync(join(granules, G, bandFileName(G, 'B03')), 'not a tiff at all');
  writeFileSync(join(granules, G, bandFileName(G, 'B04')), tiff(7000));
  emu = await startLpDaacEmulator({ dir: granules, tokens: ['tok'] });
});
after(async () => {
  await emu?.close();
  rmSync(root, { recursive: true, force: true });
});

const asset = (band: 'B02' | 'B03' | 'B04' | 'B8A', extra: Partial<BandAsset> = {}): BandAsset => ({ band, filename: bandFileName(G, band), ...extra });

test('TIFF header check: classic TIFF passes; text, a cut header and an IFD past the end are named', async () => {
  assert.equal(await tiffHeaderProblem(join(granules, G, bandFileName(G, 'B02'))), undefined);
  assert.match((await tiffHeaderProblem(join(granules, G, bandFileName(G, 'B03')))) ?? '', /not a TIFF \(no II\/MM/);
  const cut = join(root, 'cut.tif');
  writeFileSync(cut, tiff(10).subarray(0, 12));
  assert.match((await tiffHeaderProblem(cut)) ?? '', /runs past the end/);
});

test('local: the band in place (file: href or <dir>/<granule>/<file>), checked by size and header, never copied', async () => {
  const inPlace = join(granules, G, bandFileName(G, 'B02'));
  assert.deepEqual(await localBand(G, asset('B02'), [granules]), { path: inPlace, bytes: readFileSync(inPlace).length });
  assert.deepEqual((await localBand(G, asset('B02', { href: pathToFileURL(inPlace).toString() }), [])).path, inPlace);
  await assert.rejects(localBand(G, asset('B02', { size: 12 }), [granules]), /has \d+ bytes, the granule metadata says 12/);
  await assert.rejects(localBand(G, asset('B03'), [granules]), /B03\.tif: not a TIFF/);
  await assert.rejects(localBand(G, asset('B8A'), [granules]), /B8A\.tif does not exist/);
  await assert.rejects(localBand(G, asset('B8A'), []), /no granule folder configured/);
});

test('sources in order: local first, https for what is not on disk; a band none serves names every source', async () => {
  const config = ConfigSchema.parse({
    data_dir: join(root, 'data'),
    stac: { type: 'directory', path: granules },
    band_sources: ['local', 'https'],
    earthdata: { auth_hosts: emu.authHosts, retries: 1 },
  });
  const sources = new BandSources(bandSourceSettings(config, { EARTHDATA_TOKEN: 'tok' }));
  const datasetDir = join(root, 'ds');
  const local = await sources.fetch({ granuleId: G, asset: asset('B02'), datasetDir });
  assert.deepEqual(local, { ok: true, source: 'local', path: join(granules, G, bandFileName(G, 'B02')), bytes: readFileSync(join(granules, G, bandFileName(G, 'B02'))).length, reused: true });
  assert.equal(existsSync(join(datasetDir, tileBandPath(G, 'B02'))), false, 'a local band is not copied');
  assert.equal(emu.requests.length, 0);

  // B03 on disk is no TIFF: https serves the same file name from LP DAAC (here, the same bytes).
  const b03 = await sources.fetch({ granuleId: G, asset: asset('B03', { href: emu.hrefFor(G, bandFileName(G, 'B03')) }), datasetDir });
  assert.equal(b03.ok && b03.source, 'https');
  assert.equal(b03.ok && b03.path, join(datasetDir, tileBandPath(G, 'B03')));

  const none = await sources.fetch({ granuleId: G, asset: asset('B8A', { href: emu.hrefFor(G, bandFileName(G, 'B8A')) }), datasetDir });
  assert.equal(none.ok, false);
  if (none.ok) return;
  assert.equal(none.retryable, false);
  assert.deepEqual(none.tried.map((t) => t.source), ['local', 'https']);
  assert.match(none.tried[1]?.error ?? '', /HTTP 404/);
  assert.equal(bandUnavailableReason('B8A', none.tried), 'band-unavailable: B8A (tried local, https)');
  await sources.close();
});

test('no IPFS backend reachable and nothing else serves the band: transient, not a failure', async () => {
  const dead = await freePort();
  const config = ConfigSchema.parse({
    band_sources: ['local', 'ipfs'],
    ipfs: { backends: [{ type: 'gateway', urls: [`http://127.0.0.1:${dead}`] }], timeout_ms: 10_000, retries: 0 },
  });
  const sources = new BandSources(bandSourceSettings(config, {}));
  const r = await sources.fetch({ granuleId: G, asset: asset('B8A', { cid: 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku' }), datasetDir: join(root, 'ds2') });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.retryable, true);
  assert.match(r.tried[1]?.error ?? '', /no IPFS backend reachable/);
  await sources.close();
});
