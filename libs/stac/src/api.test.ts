// The STAC API client against the local server over real HTTP: paging, POST/GET, faults, auth, limits.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Limiter } from '@hls/common';
import { BANDS } from '@hls/contracts';
import type { Polygon } from '@hls/contracts';
import {
  HttpClient,
  RepeatedPageError,
  StacApiSource,
  StacSourceError,
  datetimeInterval,
  findScenes,
  readCidMapping,
  startStacServer,
  writeGranuleDirectory,
} from './index.ts';
import type { GranuleSpec, PageInfo, StacServer } from './index.ts';

const B32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** A well-formed CIDv1 (base32) derived from a name. */
function fakeCid(name: string): string {
  const h = createHash('sha256').update(name).digest();
  let s = '';
  for (let i = 0; i < 52; i++) s += B32[h[i % h.length]! % 32];
  return `bafybei${s}`;
}

const TVG: [number, number][] = [[-94.2, 42.4], [-92.9, 42.4], [-92.9, 41.4], [-94.2, 41.4]];
const FAR: [number, number][] = [[10.2, 50.4], [11.5, 50.4], [11.5, 49.4], [10.2, 49.4]];
const AREA: Polygon = { type: 'Polygon', coordinates: [[[-93.8, 41.8], [-93.2, 41.8], [-93.2, 42.2], [-93.8, 42.2], [-93.8, 41.8]]] };

/** 23 granules of 15TVG (doy 100..122), one of the neighbouring tile 15TWG, one far away (32UPA). */
function specs(): GranuleSpec[] {
  const out: GranuleSpec[] = [];
  for (let i = 0; i < 23; i++) {
    out.push({ granuleId: `HLS.S30.T15TVG.2022${100 + i}T170851.v2.0`, cloudCover: i % 10, spatialCoverage: 100 - (i % 4) * 10, footprint: TVG });
  }
  out.push({ granuleId: 'HLS.S30.T15TWG.2022105T170851.v2.0', cloudCover: 0, spatialCoverage: 100, footprint: TVG });
  out.push({ granuleId: 'HLS.S30.T32UPA.2022105T103631.v2.0', cloudCover: 0, spatialCoverage: 100, footprint: FAR });
  return out;
}

let dir: string;
let server: StacServer;
let cids: Record<string, string>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stac-api-'));
  cids = {};
  for (const s of specs()) for (const b of BANDS) cids[`${s.granuleId}.${b}.tif`] = fakeCid(`${s.granuleId}.${b}`);
  await writeGranuleDirectory(dir, specs(), cids);
  server = await startStacServer({ dir, maxPageSize: 5 });
});
after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

const fast = { baseDelayMs: 5, maxDelayMs: 20, random: () => 0.5 };
const params = { collections: ['HLSS30_2.0'], intersects: AREA, datetime: datetimeInterval('2022-01-01', '2022-12-31'), limit: 10 };

describe('STAC API search against the local server', () => {
  it('pages with POST, follows merged next links, caps the page size and reads spatial coverage from each .cmr.xml', async () => {
    server.requests.length = 0;
    const pages: PageInfo[] = [];
    const src = new StacApiSource(`${server.url}/stac/LPCLOUD`, { ...fast, onPage: (p) => pages.push(p) });
    const found = await findScenes(src, params, { tileId: '15TVG' });
    // 24 items intersect (23 of 15TVG + 15TWG), 5 per page -> 5 pages; the far granule is filtered by the server.
    assert.deepEqual(pages.map((p) => [p.page, p.method, p.items]), [[1, 'POST', 5], [2, 'POST', 5], [3, 'POST', 5], [4, 'POST', 5], [5, 'POST', 4]]);
    assert.equal(found.otherTiles, 1);
    assert.deepEqual(found.problems, []);
    assert.equal(found.scenes.length, 23);
    const bySpec = new Map(specs().map((s) => [s.granuleId, s]));
    for (const s of found.scenes) {
      const spec = bySpec.get(s.granuleId)!;
      assert.equal(s.cloudCover, spec.cloudCover);
      assert.equal(s.spatialCoverage, spec.spatialCoverage, 'from the .cmr.xml');
      for (const b of s.bands) {
        assert.equal(b.cid, cids[b.filename]);
        assert.equal(b.href, `${server.url}/stac/LPCLOUD/data/${s.granuleId}/${b.filename}`);
      }
    }
    const searches = server.requests.filter((r) => r.path.endsWith('/search'));
    assert.equal(searches.length, 5);
    assert.equal(server.requests.filter((r) => r.path.endsWith('.cmr.xml')).length, 23);
  });

  it('falls back to GET when POST /search is refused, following GET next links', async () => {
    server.requests.length = 0;
    server.faults = { rejectPost: true };
    try {
      const pages: PageInfo[] = [];
      const src = new StacApiSource(server.url, { ...fast, onPage: (p) => pages.push(p) });
      const r = await src.search({ ...params, limit: 50 });
      assert.equal(r.records.length, 24);
      assert.deepEqual(pages.map((p) => p.method), ['GET', 'GET', 'GET', 'GET', 'GET']);
      assert.equal(server.requests[0]!.method, 'POST');
      assert.equal(server.requests[0]!.status, 405);
      assert.match(server.requests[1]!.path, /^\/search\?collections=HLSS30_2.0&limit=50&intersects=/);
      assert.match(server.requests[2]!.path, /cursor=/);
    } finally {
      server.faults = {};
    }
  });

  it('honours 429 Retry-After (the wait measured on the server)', async () => {
    server.requests.length = 0;
    server.faults = { rateLimit: { count: 1, retryAfterSeconds: 1 } };
    const events: string[] = [];
    const src = new StacApiSource(server.url, { ...fast, onEvent: (e) => events.push(`${e.type}:${e.waitMs}`) });
    const t0 = performance.now();
    const r = await src.search({ ...params, maxItems: 3 });
    const elapsed = performance.now() - t0;
    assert.equal(r.records.length, 3);
    const [first, second] = server.requests;
    assert.equal(first!.status, 429);
    assert.equal(second!.status, 200);
    const gap = second!.at - first!.at;
    assert.ok(gap >= 990, `waited ${gap.toFixed(0)} ms between the 429 and the retry, Retry-After said 1 s`);
    assert.ok(elapsed >= 990);
    assert.deepEqual(events, ['rate-limited:1000']);
  });

  it('detects the repeated-page bug instead of looping', async () => {
    server.requests.length = 0;
    server.faults = { repeatFirstPage: true };
    try {
      const src = new StacApiSource(server.url, fast);
      await assert.rejects(src.search(params), (e: unknown) => e instanceof RepeatedPageError && /page 2 repeats page 1/.test(e.message) && e.message.includes(server.url));
      assert.equal(server.requests.length, 2);
    } finally {
      server.faults = {};
    }
  });

  it('retries 500s with backoff, and gives up naming the URL and status', async () => {
    server.requests.length = 0;
    server.faults = { serverErrors: 2 };
    const retries: number[] = [];
    const src = new StacApiSource(server.url, { ...fast, onEvent: (e) => retries.push(e.attempt) });
    const r = await src.search({ ...params, maxItems: 1 });
    assert.equal(r.records.length, 1);
    assert.deepEqual(server.requests.map((x) => x.status), [500, 500, 200]);
    assert.deepEqual(retries, [0, 1]);
    server.faults = { serverErrors: 10 };
    try {
      const impatient = new StacApiSource(server.url, { ...fast, retries: 1 });
      await assert.rejects(impatient.search(params), (e: unknown) => e instanceof StacSourceError && e.status === 500 && /\/search: HTTP 500 after 2 attempt/.test(e.message));
    } finally {
      server.faults = {};
    }
  });

  it('times out slow answers per attempt', async () => {
    server.faults = { slowMs: 400 };
    try {
      const http = new HttpClient({ ...fast, timeoutMs: 100, retries: 1 });
      await assert.rejects(http.json(`${server.url}/collections`), /collections: timed out after 100 ms \(attempt 2\)/);
    } finally {
      server.faults = {};
    }
  });

  it('retries network errors and reports them', async () => {
    const closed = await startStacServer({ dir });
    const url = closed.url;
    await closed.close();
    const http = new HttpClient({ ...fast, retries: 2 });
    await assert.rejects(http.json(`${url}/search`), (e: unknown) => e instanceof StacSourceError && e.retryable && /network error: .*\(attempt 3\)/.test(e.message));
  });

  it('keeps to the global concurrency limit', async () => {
    server.requests.length = 0;
    server.faults = { slowMs: 200 };
    try {
      const limiter = new Limiter(2);
      const a = new HttpClient({ ...fast, limiter });
      const b = new HttpClient({ ...fast, limiter });
      await Promise.all([0, 1, 2, 3, 4, 5].map((i) => (i % 2 ? a : b).json(`${server.url}/collections`)));
      const spans = server.requests.map((r) => [r.at, r.doneAt!] as const);
      const maxOverlap = Math.max(...spans.map(([s]) => spans.filter(([s2, e2]) => s2 <= s && e2 > s).length));
      assert.equal(maxOverlap, 2);
    } finally {
      server.faults = {};
    }
  });

  it('sends an Earthdata bearer token or netrc credentials only to the allowed hosts, never in errors', async () => {
    server.requests.length = 0;
    server.faults = { serverErrors: 1 };
    try {
      const secret = 'eyJ0eXAiOiJKV1QiLCJvcmlnaW4iOiJFYXJ0aGRhdGEgTG9naW4ifQ.secret';
      const withToken = new HttpClient({ ...fast, retries: 0, token: secret, authHosts: ['127.0.0.1'] });
      const err = await withToken.json(`${server.url}/search?limit=1`).catch((e: unknown) => e as Error);
      assert.ok(err instanceof StacSourceError);
      assert.ok(!err.message.includes(secret) && !String(err.stack).includes(secret));
      assert.equal(server.requests[0]!.authorization, `Bearer ${secret}`);
      await new HttpClient({ ...fast, token: secret }).json(`${server.url}/search?limit=1`);
      assert.equal(server.requests[1]!.authorization, undefined, 'not an Earthdata host: no token');
      const netrc = join(dir, 'netrc');
      await writeFile(netrc, 'machine urs.earthdata.nasa.gov login a password b\nmachine 127.0.0.1\n  login user\n  password p@ss\n');
      await new HttpClient({ ...fast, netrcPath: netrc, authHosts: ['127.0.0.1'] }).json(`${server.url}/search?limit=1`);
      assert.equal(server.requests[2]!.authorization, `Basic ${Buffer.from('user:p@ss').toString('base64')}`);
    } finally {
      server.faults = {};
    }
  });

  it('serves the .cmr.xml and CIDs in both item shapes the readers accept', async () => {
    const g = 'HLS.S30.T15TVG.2022100T170851.v2.0';
    const item = (await new HttpClient(fast).json(`${server.url}/collections/HLSS30_2.0/items/${g}`)) as { assets: Record<string, { href: string; alternate?: { ipfs: { cid: string } } }> };
    assert.deepEqual(Object.keys(item.assets), [...BANDS, 'metadata']);
    assert.equal(item.assets.B02!.alternate!.ipfs.cid, cids[`${g}.B02.tif`]);
    const xml = await new HttpClient(fast).text(item.assets.metadata!.href);
    assert.match(xml, /<GranuleUR>HLS\.S30\.T15TVG\.2022100T170851\.v2\.0<\/GranuleUR>/);
    const res = await fetch(`${server.url}/data/${g}/..%2F..%2Fetc%2Fpasswd`);
    assert.equal(res.status, 404);
    const bad = await fetch(`${server.url}/search?limit=0`);
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /limit must be a positive integer/);
    assert.equal(readCidMapping(Object.entries(cids).map(([filename, cid]) => ({ filename, cid })), 'x').size, 25 * 7);
  });
});
