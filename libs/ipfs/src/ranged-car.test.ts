// Ranged reads over trustless-gateway CARs (`?format=car&dag-scope=entity&entity-bytes=from:to`): the
// provider's answers, and the ranged file asking for a read's blocks in one request, every block verified,
// gaps filled block by block, gateways that do not serve ranges (or serve them wrong) handled. Gateways that
// misbehave are a real HTTP proxy in front of the provider.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { CarReader } from '@ipld/car/reader';
import { CarWriter } from '@ipld/car/writer';
import * as dagPb from '@ipld/dag-pb';
import type { CID } from 'multiformats/cid';
import { parseCid, verifyBlock } from './cid.ts';
import { BlockVerificationError, CidUnavailableError } from './errors.ts';
import { Fetcher } from './fetcher.ts';
import { closeServer, listen } from './provider/http-util.ts';
import { CAR_MEDIA_TYPE, gatewaySource } from './sources/gateway.ts';
import { kuboSource } from './sources/kubo.ts';
import type { BlockSource } from './sources/types.ts';
import { CHUNK, GRANULE, bandFile, withProvider, type Fixture } from './test-support/fixtures.ts';

const BIG = bandFile(GRANULE, 'B05');
let fx: Fixture;
let root: string;
let leaves: CID[];
before(async () => {
  // Six 256 KiB leaves under one root (the last one 1000 bytes), as `ipfs add --cid-version 1` makes them.
  fx = await withProvider({ [BIG]: 5 * CHUNK + 1000 });
  root = fx.cidOf(BIG);
  leaves = dagPb.decode(await fx.provider.store.store.get(parseCid(root))).Links.map((l) => l.Hash);
});
after(async () => {
  await fx.cleanup();
});

const original = (): Buffer => fx.originals.get(BIG) as Buffer;
const fetcherOf = (sources: BlockSource[], o: { maxBlockBytes?: number } = {}): Fetcher =>
  new Fetcher({ sources, timeoutMs: 15_000, retries: 1, concurrency: 4, backoffBaseMs: 20, ...o });
const gatewayFetcher = (url = fx.provider.gateway, o: { maxBlockBytes?: number } = {}): Fetcher => fetcherOf([gatewaySource(url)], o);
const rootBytes = async (): Promise<number> => (await fx.provider.store.store.get(parseCid(root))).length;
const same = (got: Uint8Array, from: number, length: number, what: string): void =>
  assert.ok(Buffer.from(got).equals(original().subarray(from, from + length)), `${what}: bytes ${from}+${length} differ from the file`);

/** The CIDs of a CAR answer, in order, each verified against its bytes. */
async function carCids(res: Response): Promise<string[]> {
  const car = await CarReader.fromBytes(new Uint8Array(await res.arrayBuffer()));
  const out: string[] = [];
  for await (const b of car.blocks()) {
    verifyBlock(b.cid, b.bytes);
    out.push(b.cid.toString());
  }
  return out;
}
const carUrl = (params: string): string => `${fx.provider.gateway}/ipfs/${root}?format=car&${params}`;
const leafIds = (...i: number[]): string[] => i.map((n) => (leaves[n] as CID).toString());
/** Run `fn` with the provider's `kind` fault on block `cid`, cleared afterwards whatever happens. */
async function withFault(kind: 'corrupt' | 'missing', cid: string, fn: () => Promise<void>): Promise<void> {
  fx.provider.faults[kind].add(cid);
  try {
    await fn();
  } finally {
    fx.provider.faults[kind].delete(cid);
  }
}

test('the provider answers dag-scope and entity-bytes with the blocks of the range, depth first, no duplicates', async () => {
  const size = original().length;
  const cases: Array<[string, string[]]> = [
    ['dag-scope=entity', [root, ...leafIds(0, 1, 2, 3, 4, 5)]],
    ['dag-scope=block', [root]],
    ['entity-bytes=0:*', [root, ...leafIds(0, 1, 2, 3, 4, 5)]],
    ['dag-scope=entity&entity-bytes=10:10', [root, ...leafIds(0)]],
    [`entity-bytes=${CHUNK}:${2 * CHUNK - 1}`, [root, ...leafIds(1)]],
    [`entity-bytes=${CHUNK - 1}:${2 * CHUNK}`, [root, ...leafIds(0, 1, 2)]],
    [`entity-bytes=${size - 1}:*`, [root, ...leafIds(5)]],
    ['entity-bytes=-1000:*', [root, ...leafIds(5)]],
    ['entity-bytes=-1001:-1', [root, ...leafIds(4, 5)]],
    [`entity-bytes=${3 * CHUNK}:${10 * size}`, [root, ...leafIds(3, 4, 5)]],
    // An empty range is the root alone (it tells the client the file's size).
    ['entity-bytes=100:50', [root]],
  ];
  for (const [params, want] of cases) {
    const res = await fetch(carUrl(params), { headers: { accept: `${CAR_MEDIA_TYPE}; version=1; order=dfs; dups=n` } });
    assert.equal(res.status, 200, `${params}: ${res.status === 200 ? "" : await res.text()}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/vnd\.ipld\.car; version=1; order=dfs; dups=n$/, params);
    assert.deepEqual(await carCids(res), want, params);
  }
  // Without dag-scope, the whole DAG as before.
  assert.deepEqual(await carCids(await fetch(carUrl(''))), [root, ...leafIds(0, 1, 2, 3, 4, 5)]);
});

test('the provider answers malformed entity-bytes and dag-scope with 400 naming the parameter', async () => {
  for (const bad of ['entity-bytes=abc', 'entity-bytes=1-2', 'entity-bytes=:5', 'entity-bytes=5:', 'entity-bytes=1.5:2', 'entity-bytes=*:5']) {
    const res = await fetch(carUrl(bad));
    assert.equal(res.status, 400, bad);
    assert.match(await res.text(), /^entity-bytes must be from:to/, bad);
  }
  const past = await fetch(carUrl(`entity-bytes=${original().length}:*`));
  assert.equal(past.status, 400);
  assert.match(await past.text(), new RegExp(`entity-bytes=${original().length}:\\* starts past the end of the ${original().length}-byte file`));
  const scope = await fetch(carUrl('dag-scope=everything'));
  assert.equal(scope.status, 400);
  assert.match(await scope.text(), /dag-scope must be block, entity or all, got 'everything'/);
});

test('a range over several leaves is one gateway request and gives the exact bytes', async () => {
  const f = gatewayFetcher();
  const file = await f.openFile(root);
  const before = fx.provider.stats.total;
  const at = CHUNK - 10;
  const n = 3 * CHUNK; // leaves 0 to 3
  same(await file.read(at, n), at, n, 'leaves 0-3');
  assert.equal(fx.provider.stats.total - before, 1, 'one request at the gateway');
  assert.equal(f.requests.get(`gateway ${fx.provider.gateway}`), 2, 'the root, then one CAR');
  // The root at opening, and the CAR: the root again and four leaves.
  assert.equal(file.blocksFetched, 1 + 5);
  assert.equal(file.bytesFetched, 2 * (await rootBytes()) + 4 * CHUNK);
  // Held now: inside that range nothing is asked for.
  same(await file.read(2 * CHUNK - 5, 10), 2 * CHUNK - 5, 10, 'held');
  assert.equal(fx.provider.stats.total - before, 1);
  file.close();
});

test('ranges at the start, at the end, the whole file, one byte and inside one leaf, each in one request', async () => {
  const size = original().length;
  const ranges: Array<[string, number, number]> = [
    ['start', 0, 2 * CHUNK + 5],
    ['end', size - CHUNK - 500, CHUNK + 500],
    ['whole file', 0, size],
    ['one byte', 4 * CHUNK + 7, 1],
    ['inside one leaf', 2 * CHUNK + 100, CHUNK - 200],
    ['last byte', size - 1, 1],
  ];
  for (const [what, at, n] of ranges) {
    const f = gatewayFetcher();
    const file = await f.openFile(root);
    const before = fx.provider.stats.total;
    same(await file.read(at, n), at, n, what);
    assert.equal(fx.provider.stats.total - before, 1, `${what}: one request`);
    file.close();
  }
});

test('the gateway source asks for entity-bytes to the end with *; the fetcher verifies every block of the answer', async () => {
  const source = gatewaySource(fx.provider.gateway);
  const car = await (source.getRange as NonNullable<BlockSource['getRange']>)(parseCid(root), { from: 4 * CHUNK + 1, to: '*' }, AbortSignal.timeout(15_000), 8 << 20);
  assert.match(car.url, /entity-bytes=1048577:\*$/);
  assert.deepEqual(
    car.blocks.map((b) => b.cid.toString()),
    [root, ...leafIds(4, 5)],
  );
  const blocks = await gatewayFetcher().getRangeBlocks(parseCid(root), 0, 0);
  assert.deepEqual(
    blocks?.map((b) => b.cid.toString()),
    [root, ...leafIds(0)],
  );
});

/** A gateway in front of the provider that answers CAR requests its own way; it logs every request. */
async function misbehaving(answer: (url: URL, upstream: () => Promise<Response>) => Promise<{ status: number; type: string; body: Uint8Array }>): Promise<{ url: string; log: string[]; close(): Promise<void> }> {
  const log: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    log.push(`${url.pathname}${url.search}`);
    const upstream = (): Promise<Response> => fetch(`${fx.provider.gateway}${url.pathname}${url.search}`, { headers: { accept: req.headers.accept ?? '*/*' } });
    const forward = url.searchParams.get('format') === 'car' ? answer(url, upstream) : upstream().then(async (r) => ({ status: r.status, type: r.headers.get('content-type') ?? '', body: new Uint8Array(await r.arrayBuffer()) }));
    forward.then(
      (a) => {
        res.writeHead(a.status, { 'content-type': a.type });
        res.end(a.body);
      },
      (e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(e));
      },
    );
  });
  const url = await listen(server, '127.0.0.1', 0);
  return { url, log, close: () => closeServer(server) };
}
const carRequests = (log: string[]): string[] => log.filter((l) => l.includes('format=car'));

/** A CAR of the given blocks. */
async function carOf(rootCid: CID, blocks: Array<{ cid: CID; bytes: Uint8Array }>): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create([rootCid]);
  const chunks: Uint8Array[] = [];
  const drain = (async () => {
    for await (const c of out) chunks.push(c);
  })();
  for (const b of blocks) await writer.put(b);
  await writer.close();
  await drain;
  return Buffer.concat(chunks);
}
async function blocksOf(res: Response): Promise<Array<{ cid: CID; bytes: Uint8Array }>> {
  const car = await CarReader.fromBytes(new Uint8Array(await res.arrayBuffer()));
  const out: Array<{ cid: CID; bytes: Uint8Array }> = [];
  for await (const b of car.blocks()) out.push({ cid: b.cid, bytes: b.bytes });
  return out;
}

test('a gateway that ignores entity-bytes and sends the whole DAG still gives the right bytes; the extra leaves are kept', async () => {
  const gw = await misbehaving(async (url) => {
    const whole = await fetch(`${fx.provider.gateway}${url.pathname}?format=car`);
    return { status: 200, type: `${CAR_MEDIA_TYPE}; version=1`, body: new Uint8Array(await whole.arrayBuffer()) };
  });
  try {
    const f = gatewayFetcher(gw.url);
    const file = await f.openFile(root);
    same(await file.read(CHUNK - 3, 6), CHUNK - 3, 6, 'leaves 0-1');
    assert.equal(carRequests(gw.log).length, 1);
    // Every block of the answer is counted: the root twice, six leaves.
    assert.equal(file.blocksFetched, 1 + 7);
    assert.equal(file.bytesFetched, 2 * (await rootBytes()) + original().length);
    // The leaves beyond the range came too and are held: reading them asks for nothing.
    const before = gw.log.length;
    same(await file.read(4 * CHUNK, CHUNK + 1000), 4 * CHUNK, CHUNK + 1000, 'leaves 4-5');
    assert.equal(gw.log.length, before);
    assert.equal(f.noRanges.size, 0);
  } finally {
    await gw.close();
  }
});

test('an answer larger than the range can need is cut off: the blocks come one by one, and that gateway is asked for blocks only', async () => {
  const gw = await misbehaving(async (url) => {
    const whole = await fetch(`${fx.provider.gateway}${url.pathname}?format=car`);
    return { status: 200, type: `${CAR_MEDIA_TYPE}; version=1`, body: new Uint8Array(await whole.arrayBuffer()) };
  });
  try {
    // Two bytes can need two leaves and a node: with blocks of at most CHUNK + 1 KiB the whole file is too much.
    const f = gatewayFetcher(gw.url, { maxBlockBytes: CHUNK + 1024 });
    const file = await f.openFile(root);
    same(await file.read(CHUNK - 1, 2), CHUNK - 1, 2, 'leaves 0-1');
    assert.match(f.noRanges.get(f.sources[0] as BlockSource) ?? '', /limit of \d+ bytes/);
    same(await file.read(3 * CHUNK - 1, 2), 3 * CHUNK - 1, 2, 'leaves 2-3');
    assert.equal(carRequests(gw.log).length, 1, 'asked for a CAR once');
    assert.equal(file.blocksFetched, 1 + 4, 'the root and four leaves, one by one');
  } finally {
    await gw.close();
  }
});

for (const [what, answer] of [
  ['400', { status: 400, type: 'text/plain', body: Buffer.from('unsupported parameter: entity-bytes') }],
  ['501', { status: 501, type: 'text/plain', body: Buffer.from('CAR responses are not implemented') }],
  ['a file instead of a CAR', { status: 200, type: 'application/octet-stream', body: Buffer.from('plain bytes') }],
] as const) {
  test(`a gateway that answers ranged CARs with ${what} is read block by block, and not asked for CARs again`, async () => {
    const gw = await misbehaving(() => Promise.resolve({ ...answer, body: new Uint8Array(answer.body) }));
    try {
      const f = gatewayFetcher(gw.url);
      const file = await f.openFile(root);
      same(await file.read(CHUNK - 3, 2 * CHUNK), CHUNK - 3, 2 * CHUNK, 'leaves 0-2');
      assert.equal(carRequests(gw.log).length, 1);
      assert.equal(file.blocksFetched, 1 + 3);
      assert.match(f.noRanges.get(f.sources[0] as BlockSource) ?? '', what === '400' ? /HTTP 400 unsupported parameter/ : what === '501' ? /HTTP 501/ : /not a CAR/);
      // Another read, and another file opened by the same fetcher: blocks only.
      same(await file.read(3 * CHUNK, 2 * CHUNK), 3 * CHUNK, 2 * CHUNK, 'leaves 3-4');
      const again = await f.openFile(root);
      same(await again.read(0, original().length), 0, original().length, 'whole file');
      assert.equal(carRequests(gw.log).length, 1, 'no second CAR request');
      assert.equal(gw.log.filter((l) => l.includes('format=raw')).length, 1 + 3 + 2 + 1 + 6);
    } finally {
      await gw.close();
    }
  });
}

test('a block of the CAR that does not match its CID fails the read naming the block and the gateway', async () => {
  const bad = leafIds(2)[0] as string;
  await withFault('corrupt', bad, async () => {
    const f = gatewayFetcher();
    const file = await f.openFile(root, { context: { granule: GRANULE, band: 'B05' } });
    await assert.rejects(file.read(CHUNK, 3 * CHUNK), (e: unknown) => {
      assert.ok(e instanceof BlockVerificationError, String(e));
      assert.equal(e.cid, bad);
      assert.ok(e.message.includes(`block ${bad} of ${root} (band B05, granule ${GRANULE}) failed verification from gateway ${fx.provider.gateway}`), e.message);
      assert.ok(e.message.includes(`${fx.provider.gateway}/ipfs/${root}?format=car&dag-scope=entity&entity-bytes=${CHUNK}:${4 * CHUNK - 1}`), e.message);
      return true;
    });
    // The gateway still serves ranges (it lied about one block, and that read failed loudly).
    assert.equal(f.noRanges.size, 0);
  });
});

test('a CAR without a leaf the range needs is completed block by block', async () => {
  const dropped = leafIds(2)[0] as string;
  const gw = await misbehaving(async (_url, upstream) => {
    const blocks = (await blocksOf(await upstream())).filter((b) => b.cid.toString() !== dropped);
    return { status: 200, type: `${CAR_MEDIA_TYPE}; version=1`, body: await carOf(parseCid(root), blocks) };
  });
  try {
    const f = gatewayFetcher(gw.url);
    const file = await f.openFile(root);
    same(await file.read(CHUNK + 5, 3 * CHUNK), CHUNK + 5, 3 * CHUNK, 'leaves 1-4');
    assert.deepEqual(
      gw.log.slice(1).map((l) => l.replace(/\?.*/, (q) => (q.includes('format=car') ? '?car' : '?raw'))),
      [`/ipfs/${root}?car`, `/ipfs/${dropped}?raw`],
    );
    assert.equal(file.blocksFetched, 1 + 4 + 1);
  } finally {
    await gw.close();
  }
});

test('a block missing at the gateway breaks the CAR stream: the read falls back to blocks and fails naming the CID', async () => {
  const gone = leafIds(3)[0] as string;
  await withFault('missing', gone, async () => {
    const f = gatewayFetcher();
    const file = await f.openFile(root);
    await assert.rejects(file.read(2 * CHUNK, 2 * CHUNK), (e: unknown) => {
      assert.ok(e instanceof CidUnavailableError, String(e));
      assert.equal(e.cid, gone);
      return true;
    });
    assert.equal(f.noRanges.size, 0, 'a broken answer is no sign the gateway lacks ranges');
    fx.provider.faults.missing.delete(gone);
    same(await file.read(2 * CHUNK, 2 * CHUNK), 2 * CHUNK, 2 * CHUNK, 'once the block is back');
  });
});

test('kubo first: blocks from kubo one by one, no CAR asked of the gateway listed after it', async () => {
  const gatewayBefore = fx.provider.store.servedCount();
  const f = fetcherOf([kuboSource(fx.provider.rpc), gatewaySource(fx.provider.gateway)]);
  const file = await f.openFile(root);
  same(await file.read(0, 3 * CHUNK), 0, 3 * CHUNK, 'leaves 0-2');
  assert.equal(f.requests.get(`kubo ${fx.provider.rpc}`), 4);
  assert.equal(f.requests.get(`gateway ${fx.provider.gateway}`), undefined);
  assert.equal(fx.provider.store.servedCount() - gatewayBefore, 4);
});
