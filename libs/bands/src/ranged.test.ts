// Ranged reads of band files from each source, against real files and real servers on loopback: a granule
// folder, the LP DAAC emulator (Earthdata Login redirects, signed URLs, Range) and the local IPFS provider
// (Kubo CIDv1 import, verified blocks over its gateway); and BandSources.openRanged's ordered fallback.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ConfigSchema, bandFileName, type BandAsset, type GranuleId } from '@hls/contracts';
import { parseCid, startProvider, type CID, type Provider } from '@hls/ipfs';
import { emptyLpDaacFaults, startLpDaacEmulator, type LpDaacEmulator } from '@hls/stac';
import { freePort, tiffLike } from '@hls/testing';
import { BandSourceError } from './errors.ts';
import { HttpsBandSource } from './https.ts';
import { openLocalRanged } from './local-ranged.ts';
import type { ByteRange } from './ranged.ts';
import { BandSources, bandSourceSettings } from './sources.ts';

const G = 'HLS.S30.T15TVG.2022152T170851.v2.0' as GranuleId;
const CHUNK = 262_144;
const TOKEN = 'ranged-token';
let root: string;
let granules: string;
let emu: LpDaacEmulator;
let provider: Provider;
const bytes = new Map<string, Buffer>();


before(async () => {
  root = mkdtempSync(join(tmpdir(), 'hls-ranged-'));
  granules = join(root, 'granules');
  mkdirSync(join(granules, G), { recursive: true });
  // B02 and B03 over several 256 KiB leaves; B04 small.
  for (const [band, size] of [['B02', 5 * CHUNK + 4321], ['B03', 4 * CHUNK + 17], ['B04', 70_000]] as const) {
    const b = tiffLike(size);
    bytes.set(band, b);
    writeFileSync(join(granules, G, bandFileName(G, band)), b);
  }
  emu = await startLpDaacEmulator({ dir: granules, tokens: [TOKEN] });
  provider = await startProvider({ dir: granules, storeDir: join(root, 'blocks'), bitswap: false });
});
after(async () => {
  await emu?.close();
  await provider?.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  emu.requests.length = 0;
  emu.faults = emptyLpDaacFaults();
});

const of = (band: string): Buffer => bytes.get(band) as Buffer;
const slices = (band: string, ranges: readonly ByteRange[]): Buffer[] => ranges.map((r) => of(band).subarray(r.offset, r.offset + r.length));
const sum = (ranges: readonly ByteRange[]): number => ranges.reduce((n, r) => n + r.length, 0);
const asBuffers = (got: Uint8Array[]): Buffer[] => got.map((u) => Buffer.from(u));
const cidOf = (band: 'B02' | 'B03' | 'B04'): string => {
  const f = provider.files.find((x) => x.path === `${G}/${bandFileName(G, band)}`);
  if (!f) throw new Error(`the provider has no ${band}`);
  return f.cid.toString();
};
/** The leaves of a file in order (read from the provider's store, then the served counts are what the tests cause). */
async function leavesOf(cid: string): Promise<CID[]> {
  const out: CID[] = [];
  for await (const b of provider.store.blocks((provider.files.find((f) => f.cid.toString() === cid) as { cid: CID }).cid)) if (b.cid.code === 0x55) out.push(b.cid);
  return out;
}
const servedOf = (cid: CID): number => provider.store.served.get(cid.toString()) ?? 0;

// Across leaf boundaries of the IPFS import (256 KiB), the header, and the last byte.
const RANGES: ByteRange[] = [
  { offset: 0, length: 16 },
  { offset: CHUNK - 100, length: 300 },
  { offset: 2 * CHUNK - 1, length: 2 },
  { offset: 5 * CHUNK + 4320, length: 1 },
];

test('local: ranges are the file bytes, read in place; a range past the end names the file', async () => {
  const path = join(granules, G, bandFileName(G, 'B02'));
  const band = await openLocalRanged(path);
  assert.equal(band.size, of('B02').length);
  assert.deepEqual(asBuffers(await band.read(RANGES)), slices('B02', RANGES));
  assert.equal(band.bytesRead(), sum(RANGES));
  await assert.rejects(band.read([{ offset: band.size - 2, length: 3 }]), (e: unknown) => {
    assert.ok(e instanceof BandSourceError, String(e));
    assert.equal(e.source, 'local');
    assert.equal(e.message, `${path}: range ${band.size - 2}+3 runs past the end of the ${band.size}-byte file`);
    return true;
  });
  await band.close();
});

describe('https: ranged reads through Earthdata Login', () => {
  const settings = { timeoutMs: 20_000, retries: 3, concurrency: 2, backoffBaseMs: 10, backoffMaxMs: 50 };
  const asset = (band: 'B02' | 'B03' | 'B04', extra: Partial<BandAsset> = {}): BandAsset => ({ band, filename: bandFileName(G, band), href: emu.hrefFor(G, bandFileName(G, band)), ...extra });

  test('ranges equal the bytes; only the ranges are transferred; each answer a 206 for exactly the range; the token only to the data host', async () => {
    const src = new HttpsBandSource({ token: TOKEN }, { ...settings, authHosts: emu.authHosts });
    const band = await src.openRanged(asset('B02', { size: of('B02').length }));
    assert.equal(band.size, of('B02').length);
    assert.equal(band.bytesRead(), 1, 'opening asks for one byte');
    assert.deepEqual(asBuffers(await band.read(RANGES)), slices('B02', RANGES));
    assert.equal(band.bytesRead(), 1 + sum(RANGES));
    assert.ok(src.limiter.peak <= settings.concurrency, `peak ${src.limiter.peak}`);
    const signed = emu.requests.filter((q) => q.server === 'signed');
    assert.deepEqual(
      signed.map((q) => [q.range, q.status]).sort(),
      [['bytes=0-0', 206], ...RANGES.map((r) => [`bytes=${r.offset}-${r.offset + r.length - 1}`, 206])].sort(),
    );
    for (const q of signed) assert.equal(q.authorization, undefined, 'the signed-URL host gets no credentials');
    assert.ok(emu.requests.filter((q) => q.server === 'data').every((q) => q.authorization === `Bearer ${TOKEN}`));
  });

  test('netrc login: the URS hop once, then the session cookie serves every range', async () => {
    const netrc = join(root, 'netrc');
    writeFileSync(netrc, `machine ${emu.authHost} login hls-user password hls-password\n`);
    const src = new HttpsBandSource({ netrcPath: netrc }, { ...settings, authHosts: emu.authHosts });
    const band = await src.openRanged(asset('B03'));
    assert.deepEqual(asBuffers(await band.read([{ offset: 100, length: 50 }, { offset: CHUNK * 3, length: 1000 }])), slices('B03', [{ offset: 100, length: 50 }, { offset: CHUNK * 3, length: 1000 }]));
    assert.equal(emu.requests.filter((q) => q.server === 'auth').length, 1);
    for (const q of emu.requests.filter((x) => x.server !== 'auth')) assert.ok(!(q.authorization ?? '').startsWith('Basic'), `no Basic auth to ${q.server}`);
  });

  test('503, 429 and a connection cut mid-range are retried; more failures than retries is retryable, naming the file', async () => {
    const src = new HttpsBandSource({ token: TOKEN }, { ...settings, authHosts: emu.authHosts });
    const a = asset('B02');
    const band = await src.openRanged(a);
    emu.requests.length = 0;
    emu.faults.serverErrors.set(a.filename, 1);
    emu.faults.rateLimited.set(a.filename, 1);
    const r = [{ offset: 1000, length: 200_000 }];
    assert.deepEqual(asBuffers(await band.read(r)), slices('B02', r));
    assert.equal(emu.requests.filter((q) => q.status === 503).length, 1);
    assert.equal(emu.requests.filter((q) => q.status === 429).length, 1);
    emu.requests.length = 0;
    emu.faults.disconnectAfter.set(a.filename, 50_000);
    const before = band.bytesRead();
    assert.deepEqual(asBuffers(await band.read(r)), slices('B02', r));
    assert.deepEqual(emu.requests.filter((q) => q.server === 'signed').map((q) => q.range), ['bytes=1000-200999', 'bytes=1000-200999'], 'the cut range asked again');
    assert.equal(band.bytesRead() - before, 50_000 + 200_000, 'the bytes of the cut answer count as transferred');
    emu.faults.serverErrors.set(a.filename, 10);
    await assert.rejects(band.read(r), (e: unknown) => {
      assert.ok(e instanceof BandSourceError, String(e));
      assert.equal(e.retryable, true);
      assert.match(e.message, new RegExp(`^${emu.assetBase.replace(/[.]/g, '\\.')}/${G.replace(/\./g, '\\.')}/\\S+B02\\.tif \\(bytes=1000-200999\\): HTTP 503 at 127\\.0\\.0\\.2:\\d+ \\(4 attempt\\(s\\)\\)$`));
      return true;
    });
  });

  test('a server that ignores Range: the right slices anyway, from one answer per read read only as far as the last range', async () => {
    const src = new HttpsBandSource({ token: TOKEN }, { ...settings, authHosts: emu.authHosts });
    emu.faults.ignoreRange = true;
    const band = await src.openRanged(asset('B02'));
    assert.equal(band.size, of('B02').length, 'the size from Content-Length');
    assert.deepEqual(asBuffers(await band.read(RANGES.slice(0, 3))), slices('B02', RANGES.slice(0, 3)));
    const signed = emu.requests.filter((q) => q.server === 'signed');
    assert.deepEqual(signed.map((q) => q.status), [200, 200], 'one answer to open, one for the read');
    // Counted as transferred: everything up to the last range's end, yet not the whole file.
    const end = 2 * CHUNK + 1;
    assert.ok(band.bytesRead() >= 1 + end, `${band.bytesRead()} >= ${1 + end}`);
    assert.ok(band.bytesRead() < of('B02').length, `${band.bytesRead()} bytes for 2 answers cut short`);
    // One range alone is read the same way.
    assert.deepEqual(asBuffers(await band.read([{ offset: 5 * CHUNK, length: 10 }])), slices('B02', [{ offset: 5 * CHUNK, length: 10 }]));
  });

  test('a size other than the metadata says, and a missing file, are not retryable', async () => {
    const src = new HttpsBandSource({ token: TOKEN }, { ...settings, authHosts: emu.authHosts });
    await assert.rejects(src.openRanged(asset('B04', { size: 5 })), (e: unknown) => {
      assert.ok(e instanceof BandSourceError);
      assert.equal(e.retryable, false);
      assert.match(e.message, /B04\.tif: the server has 70000 bytes, the granule metadata says 5$/);
      return true;
    });
    await assert.rejects(src.openRanged({ band: 'B8A', filename: bandFileName(G, 'B8A'), href: emu.hrefFor(G, bandFileName(G, 'B8A')) }), /B8A\.tif: HTTP 404/);
  });
});

describe('BandSources.openRanged', () => {
  const config = (order: Array<'local' | 'https' | 'ipfs'>) =>
    ConfigSchema.parse({
      stac: { type: 'directory', path: join(root, 'elsewhere') },
      band_sources: order,
      ipfs: { backends: [{ type: 'gateway', urls: [provider.gateway] }], timeout_ms: 15_000, retries: 0 },
      earthdata: { auth_hosts: emu.authHosts, retries: 0 },
    });
  const asset = (band: 'B02' | 'B03' | 'B8A', extra: Partial<BandAsset> = {}): BandAsset => ({ band, filename: bandFileName(G, band), ...extra });

  test('not on disk: IPFS serves it, fetching only the verified blocks the ranges touch', async () => {
    const sources = new BandSources(bandSourceSettings(config(['local', 'ipfs']), {}));
    try {
      const cid = cidOf('B02');
      const leaves = await leavesOf(cid);
      assert.equal(leaves.length, 6);
      const before = leaves.map(servedOf);
      const r = await sources.openRanged({ granuleId: G, asset: asset('B02', { cid }), datasetDir: join(root, 'ds') });
      assert.ok(r.ok, JSON.stringify(r));
      const band = r.band;
      assert.equal(band.source, 'ipfs');
      assert.equal(band.cid, cid);
      assert.equal(band.size, of('B02').length);
      assert.deepEqual(asBuffers(await band.read(RANGES)), slices('B02', RANGES));
      // Leaves 0, 1, 2 and 5 hold the ranges; 3 and 4 are never asked for, and none twice.
      assert.deepEqual(leaves.map((l, i) => servedOf(l) - (before[i] ?? 0)), [1, 1, 1, 0, 0, 1]);
      // Whole verified blocks: the root node, three full leaves and the short last one; the root twice, as
      // the gateway's ranged CAR for leaves 0-1 repeats it.
      const rootBytes = (await provider.store.store.get(parseCid(cid))).length;
      assert.equal(band.bytesRead(), 2 * rootBytes + 3 * CHUNK + 4321);
      assert.ok(band.bytesRead() < 0.65 * band.size);
      const fetcher = await sources.ipfsFetcher();
      // The root, one CAR for the two leaves of the second range, leaves 2 and 5 on their own.
      assert.equal(fetcher.requests.get(`gateway ${provider.gateway}`), 4);
      await band.close();
    } finally {
      await sources.close();
    }
  });

  test('a corrupted leaf in range: a BandSourceError naming the block and the file, not retryable', async () => {
    const sources = new BandSources(bandSourceSettings(config(['ipfs']), {}));
    const cid = cidOf('B03');
    const leaves = await leavesOf(cid);
    const bad = (leaves[2] as CID).toString();
    provider.faults.corrupt.add(bad);
    try {
      const r = await sources.openRanged({ granuleId: G, asset: asset('B03', { cid }), datasetDir: join(root, 'ds') });
      assert.ok(r.ok);
      assert.deepEqual(asBuffers(await r.band.read([{ offset: 10, length: 10 }])), slices('B03', [{ offset: 10, length: 10 }]));
      await assert.rejects(r.band.read([{ offset: 10, length: 10 }, { offset: 2 * CHUNK + 5, length: 10 }]), (e: unknown) => {
        assert.ok(e instanceof BandSourceError, String(e));
        assert.equal(e.source, 'ipfs');
        assert.equal(e.retryable, false);
        assert.match(e.message, new RegExp(`block ${bad} of ${cid} \\(band B03, granule ${G.replace(/\./g, '\\.')}\\) failed verification`));
        return true;
      });
    } finally {
      provider.faults.corrupt.delete(bad);
      await sources.close();
    }
  });

  test('local first when the file is there; a band no source has names every source and why', async () => {
    const sources = new BandSources(
      bandSourceSettings(
        ConfigSchema.parse({
          stac: { type: 'directory', path: granules },
          band_sources: ['local', 'ipfs', 'https'],
          ipfs: { backends: [{ type: 'gateway', urls: [provider.gateway] }], timeout_ms: 15_000, retries: 0 },
          earthdata: { auth_hosts: emu.authHosts, retries: 0 },
        }),
        { EARTHDATA_TOKEN: TOKEN },
      ),
    );
    const missingCid = cidOf('B04');
    provider.faults.missing.add(missingCid);
    try {
      const local = await sources.openRanged({ granuleId: G, asset: asset('B02', { cid: cidOf('B02') }), datasetDir: join(root, 'ds') });
      assert.ok(local.ok);
      assert.equal(local.band.source, 'local');
      assert.deepEqual(asBuffers(await local.band.read(RANGES)), slices('B02', RANGES));
      await local.band.close();

      const none = await sources.openRanged({ granuleId: G, asset: asset('B8A', { cid: missingCid, href: emu.hrefFor(G, bandFileName(G, 'B8A')) }), datasetDir: join(root, 'ds') });
      assert.equal(none.ok, false);
      if (none.ok) return;
      assert.equal(none.retryable, false);
      assert.deepEqual(none.tried.map((t) => t.source), ['local', 'ipfs', 'https']);
      assert.match(none.tried[0]?.error ?? '', /B8A\.tif does not exist/);
      assert.match(none.tried[1]?.error ?? '', new RegExp(`cid-unavailable: ${missingCid}.*404`));
      assert.match(none.tried[2]?.error ?? '', /B8A\.tif: HTTP 404/);
    } finally {
      provider.faults.missing.delete(missingCid);
      await sources.close();
    }
  });

  test('no IPFS backend reachable and no other source has the band: the outcome is retryable', async () => {
    const dead = await freePort();
    const sources = new BandSources(
      bandSourceSettings(
        ConfigSchema.parse({
          band_sources: ['local', 'ipfs'],
          ipfs: { backends: [{ type: 'gateway', urls: [`http://127.0.0.1:${dead}`] }], timeout_ms: 10_000, retries: 0 },
        }),
        {},
      ),
    );
    try {
      const r = await sources.openRanged({ granuleId: G, asset: asset('B02', { cid: cidOf('B02') }), datasetDir: join(root, 'ds') });
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.retryable, true);
      assert.deepEqual(r.tried.map((t) => [t.source, t.retryable]), [['local', false], ['ipfs', true]]);
      assert.match(r.tried[1]?.error ?? '', new RegExp(`no IPFS backend reachable: cid-unavailable: ${cidOf('B02')}`));
    } finally {
      await sources.close();
    }
  });
});
