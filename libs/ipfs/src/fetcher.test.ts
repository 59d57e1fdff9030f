import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { CarReader } from '@ipld/car/reader';
import { create as kubo } from 'kubo-rpc-client';
import { BANDS, type IpfsBackendConfig } from '@hls/contracts';
import { verifyBlock, parseCid } from './cid.ts';
import { BlockVerificationError, CidUnavailableError } from './errors.ts';
import { Fetcher, partPathFor } from './fetcher.ts';
import { createFetcher } from './backends.ts';
import { gatewaySource } from './sources/gateway.ts';
import { readCidMappingFile } from '@hls/stac';
import { CHUNK, GRANULE, bandFile, withProvider, type Fixture } from './test-support/fixtures.ts';

const SIZES: Record<string, number> = {
  [bandFile(GRANULE, 'B02')]: 3 * CHUNK + 1234,
  [bandFile(GRANULE, 'B03')]: CHUNK,
  [bandFile(GRANULE, 'B04')]: CHUNK + 1,
  [bandFile(GRANULE, 'Fmask')]: 777,
};
let fx: Fixture;
before(async () => {
  fx = await withProvider(SIZES);
});
after(async () => {
  await fx.cleanup();
});

const out = (name: string): string => join(fx.root, 'out', name);
const gatewayFetcher = (o: Partial<ConstructorParameters<typeof Fetcher>[0]> = {}): Fetcher =>
  new Fetcher({ sources: [gatewaySource(fx.provider.gateway)], timeoutMs: 15_000, retries: 1, concurrency: 4, backoffBaseMs: 20, ...o });

test('the provider writes the easierdata mapping with every file and its CID', async () => {
  const m = await readCidMappingFile(fx.provider.mappingFile as string);
  assert.equal(m.size, Object.keys(SIZES).length);
  for (const rel of Object.keys(SIZES)) {
    const name = rel.split('/').pop();
    assert.equal(m.get(name as string), fx.cidOf(rel));
  }
});

const backendConfig = (backend: 'gateway' | 'kubo' | 'helia'): IpfsBackendConfig =>
  backend === 'gateway'
    ? { type: 'gateway', urls: [fx.provider.gateway] }
    : backend === 'kubo'
      ? { type: 'kubo', url: fx.provider.rpc }
      : { type: 'helia', peers: fx.provider.addresses };

for (const backend of ['gateway', 'kubo', 'helia'] as const) {
  test(`${backend} backend: every file fetched from the provider equals the original`, async (t) => {
    const f = await createFetcher({ backends: [backendConfig(backend)], timeout_ms: 15_000, retries: 1, concurrency: 4 });
    t.after(() => f.close());
    for (const [rel, bytes] of fx.originals) {
      const dest = out(`${backend}-${rel.split('/').pop()}`);
      const events: number[] = [];
      const r = await f.fetchToFile(fx.cidOf(rel), dest, { onProgress: (p) => events.push(p.bytes) });
      assert.deepEqual(readFileSync(dest), bytes, rel);
      assert.equal(r.bytes, bytes.length);
      assert.equal(r.reused, false);
      assert.equal(events.at(-1), bytes.length, 'last progress event reports every byte');
      assert.ok(!existsSync(partPathFor(dest, fx.cidOf(rel))), 'no part file left');
    }
    const [name, cid] = [...fx.originals.keys()].map((k) => [k, fx.cidOf(k)] as const)[0]!;
    const again = await f.fetchToFile(cid, out(`${backend}-${name.split('/').pop()}`));
    assert.equal(again.reused, true, 'an existing verified file is not fetched again');
  });
}

test('kubo-rpc-client cat, block get/stat, id and version work against the provider RPC', async () => {
  const client = kubo({ url: fx.provider.rpc });
  const rel = bandFile(GRANULE, 'B02');
  const cid = parseCid(fx.cidOf(rel));
  const chunks: Uint8Array[] = [];
  for await (const c of client.cat(cid)) chunks.push(c);
  assert.deepEqual(Buffer.concat(chunks), fx.originals.get(rel));
  const part: Uint8Array[] = [];
  for await (const c of client.cat(cid, { offset: CHUNK - 10, length: 20 })) part.push(c);
  assert.deepEqual(Buffer.concat(part), fx.originals.get(rel)?.subarray(CHUNK - 10, CHUNK + 10));
  const block = await client.block.get(cid);
  verifyBlock(cid, block);
  const st = await client.block.stat(cid);
  assert.equal(st.size, block.length);
  assert.equal(st.cid.toString(), cid.toString());
  const id = await client.id();
  assert.equal(id.id.toString(), fx.provider.peerId);
  assert.match(id.id.toString(), /^12D3KooW/);
  assert.ok((await client.version()).version);
});

test('the gateway serves a verifiable CAR of a whole file', async () => {
  const rel = bandFile(GRANULE, 'B02');
  const res = await fetch(`${fx.provider.gateway}/ipfs/${fx.cidOf(rel)}?format=car`);
  assert.equal(res.status, 200);
  const car = await CarReader.fromBytes(new Uint8Array(await res.arrayBuffer()));
  assert.deepEqual((await car.getRoots()).map(String), [fx.cidOf(rel)]);
  let n = 0;
  let leafBytes = 0;
  for await (const b of car.blocks()) {
    verifyBlock(b.cid, b.bytes);
    if (b.cid.code === 0x55) leafBytes += b.bytes.length;
    n++;
  }
  assert.equal(n, 5);
  assert.equal(leafBytes, SIZES[rel]);
  const plain = await fetch(`${fx.provider.gateway}/ipfs/${fx.cidOf(rel)}`);
  assert.deepEqual(Buffer.from(await plain.arrayBuffer()), fx.originals.get(rel));
});

test('a corrupted block gives a verification error naming CID, band and granule; nothing at the final path', async () => {
  const rel = bandFile(GRANULE, 'B02');
  const root = fx.cidOf(rel);
  const leaf = (await firstLeaf(root)).toString();
  fx.provider.faults.corrupt.add(leaf);
  try {
    const dest = out('corrupt.B02.tif');
    const f = gatewayFetcher();
    await assert.rejects(f.fetchToFile(root, dest, { context: { granule: GRANULE, band: 'B02' } }), (e: unknown) => {
      assert.ok(e instanceof BlockVerificationError, String(e));
      assert.match(e.message, new RegExp(leaf));
      assert.match(e.message, new RegExp(root));
      assert.match(e.message, /band B02/);
      assert.match(e.message, new RegExp(`granule ${GRANULE.replace(/\./g, '\\.')}`));
      return true;
    });
    assert.equal(existsSync(dest), false);
    assert.equal(f.requests.get(`gateway ${fx.provider.gateway}`)! < 10, true, 'a corrupt source is not asked again and again');
  } finally {
    fx.provider.faults.corrupt.delete(leaf);
  }
});

test('gateways fail over: a dead gateway and one that lacks the blocks are skipped for a good one', async () => {
  const rel = bandFile(GRANULE, 'B04');
  const root = fx.cidOf(rel);
  const other = await withProvider({}, {});
  try {
    const f = await createFetcher(
      { backends: [{ type: 'gateway', urls: ['http://127.0.0.1:9', other.provider.gateway, fx.provider.gateway] }], timeout_ms: 15_000, retries: 0, concurrency: 2 },
    );
    const dest = out('failover.B04.tif');
    await f.fetchToFile(root, dest);
    assert.deepEqual(readFileSync(dest), fx.originals.get(rel));
  } finally {
    await other.cleanup();
  }
});

test('the provider serves bitswap on a loopback TCP multiaddr with its peer id', () => {
  assert.equal(fx.provider.addresses.length, 1);
  assert.match(fx.provider.addresses[0] as string, new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${fx.provider.peerId}$`));
});

test('backends fall back in order: a dead Kubo RPC, then a gateway lacking the block, then bitswap', async (t) => {
  const rel = bandFile(GRANULE, 'B02');
  const empty = await withProvider({});
  t.after(() => empty.cleanup());
  const f = await createFetcher({
    backends: [{ type: 'kubo', url: 'http://127.0.0.1:9' }, { type: 'gateway', urls: [empty.provider.gateway] }, backendConfig('helia')],
    timeout_ms: 15_000,
    retries: 0,
    concurrency: 4,
  });
  t.after(() => f.close());
  const dest = out('fallback.B02.tif');
  await f.fetchToFile(fx.cidOf(rel), dest);
  assert.deepEqual(readFileSync(dest), fx.originals.get(rel));
  assert.equal(f.requests.get(`helia ${fx.provider.addresses[0]}`), 5, 'every block came over bitswap');
});

test('helia backend: a block the peer lacks times out with the reason; nothing written', async (t) => {
  const rel = bandFile(GRANULE, 'Fmask');
  const root = fx.cidOf(rel);
  fx.provider.faults.missing.add(root);
  t.after(() => fx.provider.faults.missing.delete(root));
  const f = await createFetcher({ backends: [backendConfig('helia')], timeout_ms: 400, retries: 1, concurrency: 2 }, { backoffBaseMs: 20, backoffMaxMs: 20 });
  t.after(() => f.close());
  // The peer never answers for a block it lacks, so the timeout is the subject here, not a race.
  await assert.rejects(f.fetchToFile(root, out('helia-missing.tif')), (e: unknown) => {
    assert.ok(e instanceof CidUnavailableError, String(e));
    assert.match(e.message, /timed out after 400 ms/);
    return true;
  });
  assert.equal(existsSync(out('helia-missing.tif')), false);
});

test('a missing CID fails within its time bound, with the reason', async () => {
  const rel = bandFile(GRANULE, 'B03');
  const root = fx.cidOf(rel);
  fx.provider.faults.missing.add(root);
  try {
    // A generous timeout: the gateway's 404 must be the reason, however loaded the machine is.
    const f = gatewayFetcher({ timeoutMs: 15_000, retries: 2, backoffBaseMs: 50, backoffMaxMs: 100 });
    await assert.rejects(f.fetchToFile(root, out('missing.tif'), { context: { granule: GRANULE, band: 'B03' } }), (e: unknown) => {
      assert.ok(e instanceof CidUnavailableError, String(e));
      assert.match(e.message, new RegExp(`^cid-unavailable: ${root}`));
      assert.match(e.message, /404/);
      assert.equal(e.reasons.length, 3);
      assert.equal(e.unreachable, false, 'the gateway answered: the CID is missing there');
      return true;
    });
    assert.equal(existsSync(out('missing.tif')), false);
    assert.equal(existsSync(partPathFor(out('missing.tif'), root)), false, 'no empty part file left behind');
  } finally {
    fx.provider.faults.missing.delete(root);
  }
  // A source that does not answer within the timeout (the provider's injected delay is far longer than the
  // timeout): the per-request timeout is the reason, once per attempt.
  fx.provider.faults.delayMs = 60_000;
  try {
    const f = gatewayFetcher({ timeoutMs: 500, retries: 1, backoffBaseMs: 20, backoffMaxMs: 20 });
    await assert.rejects(f.fetchToFile(root, out('slow.tif')), (e: unknown) => {
      assert.ok(e instanceof CidUnavailableError, String(e));
      assert.equal(e.reasons.length, 2);
      assert.ok(e.reasons.every((r) => /timed out after 500 ms/.test(r)), e.reasons.join(' | '));
      return true;
    });
  } finally {
    fx.provider.faults.delayMs = 0;
  }
});

test('no backend reachable at all is told apart from a missing CID', async () => {
  const root = fx.cidOf(bandFile(GRANULE, 'B04'));
  // A port nobody listens on: every attempt is refused.
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const port = (dead.address() as AddressInfo).port;
  await new Promise((r) => dead.close(r));
  const f = new Fetcher({ sources: [gatewaySource(`http://127.0.0.1:${port}`)], timeoutMs: 1000, retries: 1, concurrency: 2, backoffBaseMs: 10 });
  await assert.rejects(f.fetchToFile(root, out('unreachable.tif')), (e: unknown) => {
    assert.ok(e instanceof CidUnavailableError, String(e));
    assert.equal(e.unreachable, true);
    assert.equal(e.reasons.length, 2);
    return true;
  });
  assert.equal(existsSync(out('unreachable.tif')), false);
});

test('a download SIGKILLed half way leaves no final file and resumes, keeping the verified leaves', async () => {
  const rel = bandFile(GRANULE, 'B02');
  const root = fx.cidOf(rel);
  const dest = out('resume.B02.tif');
  fx.provider.faults.delayMs = 150;
  const child = spawn(process.execPath, [join(import.meta.dirname, 'test-support/fetch-child.ts'), fx.provider.gateway, root, dest], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      const p = JSON.parse(line) as { blocksFetched?: number; done?: boolean };
      assert.notEqual(p.done, true, 'the child finished before it could be killed');
      if ((p.blocksFetched ?? 0) >= 3) {
        child.kill('SIGKILL');
        break;
      }
    }
    assert.equal(await exited, 'SIGKILL');
  } finally {
    fx.provider.faults.delayMs = 0;
  }
  assert.equal(existsSync(dest), false, 'no half file at the final path');
  assert.ok(existsSync(partPathFor(dest, root)), 'the part file is kept for the resume');
  // The killed child's last requests may still be in the provider (delayed by the fault): let them end before
  // counting, so only the resume's blocks are counted below.
  for (let i = 0; fx.provider.stats.inFlight > 0 && i < 1200; i++) await new Promise((r) => setTimeout(r, 50));
  const before = fx.provider.store.servedCount();
  const f = gatewayFetcher();
  const r = await f.fetchToFile(root, dest);
  assert.deepEqual(readFileSync(dest), fx.originals.get(rel));
  assert.ok(r.blocksReused >= 2, `kept ${r.blocksReused} leaves from the killed download`);
  assert.equal(fx.provider.store.servedCount() - before, r.blocksFetched);
  assert.ok(r.blocksFetched < 5, `re-fetched only ${r.blocksFetched} of 5 blocks`);
  assert.deepEqual(readdirSync(join(dest, '..')).filter((n) => n.startsWith('.resume.')), []);
});

test('4 scenes x 7 bands fetched at once stay within the concurrency limit', async () => {
  const granules = ['2022152T170851', '2022172T170851', '2022192T170851', '2022212T170851'].map((d) => `HLS.S30.T15TVG.${d}.v2.0`);
  const files: Record<string, number> = {};
  for (const g of granules) for (const b of BANDS) files[bandFile(g, b)] = 2 * CHUNK + 100;
  const many = await withProvider(files, { delayMs: 15 });
  try {
    const limit = 5;
    const f = await createFetcher({ backends: [{ type: 'gateway', urls: [many.provider.gateway] }], timeout_ms: 5000, retries: 1, concurrency: limit });
    many.provider.stats.resetPeak();
    await Promise.all(
      [...many.originals.keys()].map((rel) => f.fetchToFile(many.cidOf(rel), join(many.root, 'tiles', rel))),
    );
    for (const [rel, bytes] of many.originals) assert.deepEqual(readFileSync(join(many.root, 'tiles', rel)), bytes, rel);
    assert.ok(f.limiter.peak <= limit, `client peak ${f.limiter.peak}`);
    assert.ok(many.provider.stats.peak <= limit, `provider saw ${many.provider.stats.peak} requests at once`);
    assert.ok(many.provider.stats.peak >= 2, 'requests did run in parallel');
  } finally {
    await many.cleanup();
  }
});

async function firstLeaf(root: string) {
  const res = await fetch(`${fx.provider.gateway}/ipfs/${root}?format=car`);
  const car = await CarReader.fromBytes(new Uint8Array(await res.arrayBuffer()));
  for await (const b of car.blocks()) if (b.cid.code === 0x55) return b.cid;
  throw new Error(`${root} has no raw leaf`);
}
