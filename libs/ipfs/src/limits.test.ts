// Issue 15, item 3: a gateway (or Kubo RPC) that streams an endless body is cut off at the block's limit:
// the size its parent gives for a leaf, the configured cap for a root. Real servers on 127.0.0.1.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ConfigSchema, LIMITS } from '@hls/contracts';
import { createFetcher } from './backends.ts';
import { BlockVerificationError } from './errors.ts';
import { Fetcher } from './fetcher.ts';
import { gatewaySource } from './sources/gateway.ts';
import { kuboSource } from './sources/kubo.ts';
import { CHUNK, GRANULE, bandFile, withProvider, type Fixture } from './test-support/fixtures.ts';

const REL = bandFile(GRANULE, 'B02');
let fx: Fixture;
before(async () => {
  fx = await withProvider({ [REL]: 3 * CHUNK + 99, [bandFile(GRANULE, 'Fmask')]: 5000 });
});
after(async () => {
  await fx.cleanup();
});

interface Hostile {
  url: string;
  /** Bytes written into endless bodies so far. */
  sent: number;
  /** Endless responses the client stopped reading (connection closed). */
  cutOff: number;
  close(): Promise<void>;
}

/**
 * A server that answers `endless(cid)` requests with a body that never ends (written as the client reads,
 * so what it sends is what the client took), and proxies the others to the real provider's gateway.
 */
async function hostile(endless: (cid: string) => boolean, headers: Record<string, string> = {}): Promise<Hostile> {
  const state = { sent: 0, cutOff: 0 };
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const cid = u.pathname.startsWith('/api/v0/') ? (u.searchParams.get('arg') ?? '') : u.pathname.replace(/^\/ipfs\//, '');
    if (!endless(cid)) {
      void fetch(`${fx.provider.gateway}/ipfs/${cid}?format=raw`, { headers: { accept: 'application/vnd.ipld.raw' } }).then(async (r) => {
        res.writeHead(r.status, { 'content-type': 'application/vnd.ipld.raw' });
        res.end(Buffer.from(await r.arrayBuffer()));
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.raw', ...headers });
    if (headers['content-length']) return void res.end(chunk);
    let open = true;
    res.on('close', () => {
      open = false;
      state.cutOff++;
    });
    const pump = (): void => {
      while (open && res.write(chunk)) state.sent += chunk.length;
      if (open) {
        state.sent += chunk.length;
        res.once('drain', pump);
      }
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get sent() {
      return state.sent;
    },
    get cutOff() {
      return state.cutOff;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const fetcherOn = (source: ReturnType<typeof gatewaySource>, o: Partial<ConstructorParameters<typeof Fetcher>[0]> = {}): Fetcher =>
  new Fetcher({ sources: [source], timeoutMs: 30_000, retries: 0, concurrency: 2, backoffBaseMs: 10, ...o });

/** Resolves once the server has seen `n` endless responses closed by the client. */
async function cutOff(h: Hostile, n = 1): Promise<void> {
  while (h.cutOff < n) await new Promise((r) => setImmediate(r));
}

test('a gateway streaming an endless body for the root block is cut off at the 2 MiB cap, with the reason', async () => {
  const root = fx.cidOf(REL);
  const h = await hostile(() => true);
  try {
    const rss = process.memoryUsage().rss;
    await assert.rejects(fetcherOn(gatewaySource(h.url)).fetchToFile(root, join(fx.root, 'out', 'endless-root.tif')), (e: unknown) => {
      assert.ok(e instanceof BlockVerificationError, String(e));
      assert.match(e.message, new RegExp(`^block ${root} failed verification from gateway ${h.url}: ${h.url}/ipfs/${root}\\?format=raw: body cut off past the block's limit of ${LIMITS.maxBlockBytes} bytes$`));
      return true;
    });
    await cutOff(h);
    assert.ok(process.memoryUsage().rss - rss < 200_000_000, 'memory stayed bounded');
  } finally {
    await h.close();
  }
});

test('an endless leaf is held to the size its parent gives (one chunk), not the cap', async () => {
  const root = fx.cidOf(REL);
  // The root (dag-pb) comes from the real provider; every leaf is endless.
  const h = await hostile((cid) => cid !== root);
  try {
    await assert.rejects(fetcherOn(gatewaySource(h.url)).fetchToFile(root, join(fx.root, 'out', 'endless-leaf.tif'), { context: { granule: GRANULE, band: 'B02' } }), (e: unknown) => {
      assert.ok(e instanceof BlockVerificationError, String(e));
      assert.match(e.message, new RegExp(`of ${root} \\(band B02, granule ${GRANULE}\\) failed verification from gateway .*: body cut off past the block's limit of ${CHUNK} bytes$`));
      return true;
    });
    await cutOff(h);
    assert.ok(h.sent < 64 * CHUNK, `the server could only push ${h.sent} bytes before it was cut off`);
  } finally {
    await h.close();
  }
});

test('Kubo RPC block/get streaming an endless body is cut off too; a huge Content-Length is refused unread', async () => {
  const root = fx.cidOf(REL);
  const h = await hostile(() => true);
  try {
    await assert.rejects(fetcherOn(kuboSource(h.url), { maxBlockBytes: 100_000 }).fetchToFile(root, join(fx.root, 'out', 'kubo.tif')), (e: unknown) => {
      assert.ok(e instanceof BlockVerificationError, String(e));
      assert.match(e.message, new RegExp(`from kubo ${h.url}: ${h.url}/api/v0/block/get\\?arg=${root}: body cut off past the block's limit of 100000 bytes$`));
      return true;
    });
    await cutOff(h);
  } finally {
    await h.close();
  }
  const liar = await hostile(() => true, { 'content-length': String(10 * 1024 ** 3) });
  try {
    await assert.rejects(fetcherOn(gatewaySource(liar.url)).fetchToFile(root, join(fx.root, 'out', 'liar.tif')), /Content-Length 10737418240 is over the block's limit of 2097152 bytes/);
  } finally {
    await liar.close();
  }
});

test('ipfs.max_block_bytes is the configured cap: validated, and a root over it is refused while honest files still come', async () => {
  assert.equal(ConfigSchema.parse({}).ipfs.max_block_bytes, LIMITS.maxBlockBytes);
  assert.throws(() => ConfigSchema.parse({ ipfs: { max_block_bytes: 0 } }), /max_block_bytes/);
  const small = fx.cidOf(bandFile(GRANULE, 'Fmask'));
  const capped = await createFetcher({ backends: [{ type: 'gateway', urls: [fx.provider.gateway] }], timeout_ms: 30_000, retries: 0, concurrency: 2, max_block_bytes: 1000 });
  await assert.rejects(capped.fetchToFile(small, join(fx.root, 'out', 'capped.tif')), /over the block's limit of 1000 bytes/);
  const normal = await createFetcher({ backends: [{ type: 'gateway', urls: [fx.provider.gateway] }], timeout_ms: 30_000, retries: 0, concurrency: 2, max_block_bytes: ConfigSchema.parse({}).ipfs.max_block_bytes });
  const r = await normal.fetchToFile(fx.cidOf(REL), join(fx.root, 'out', 'ok.tif'));
  assert.equal(r.bytes, 3 * CHUNK + 99);
});
