// A local, CMR-STAC-like STAC API over a granule directory (layout in granule-dir.ts), for tests and
// the demo. Routes work under any prefix (e.g. /stac/LPCLOUD):
//   GET  <prefix>/                         landing page
//   GET  <prefix>/collections[/<id>]       HLSS30_2.0 / HLSL30_2.0 as present
//   GET  <prefix>/collections/<id>/items/<granuleId>
//   GET|POST <prefix>/search               collections, datetime, intersects, bbox, limit, cursor
//   GET  <prefix>/data/<granuleId>/<file>  the .cmr.xml and band files
// Items carry eo:cloud_cover, assets B02..Fmask (+ `metadata`, the .cmr.xml) and CIDs from the
// directory's mapping file as `alternate.ipfs`. Like CMR-STAC, items have no spatial coverage: clients
// read it from the .cmr.xml. Paging is by opaque cursor; the page size is capped. Faults can be
// injected (429 + Retry-After, 500, slow answers, the repeated-page bug) to test clients.
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { BANDS, GRANULE_ID_PATTERN } from '@hls/contracts';
import type { CidMapping } from './cids.ts';
import { readEcho10 } from './echo10.ts';
import { errorMessage } from './errors.ts';
import type { MetadataError } from './errors.ts';
import { bboxesOverlap, geometryBbox } from './filters.ts';
import type { Bbox } from './filters.ts';
import { loadDirCidMapping, matchesSearch, scanGranuleDir } from './granule-dir.ts';
import type { GranuleEntry } from './granule-dir.ts';
import type { GranuleMetadata } from './granule.ts';
import { isObj } from './json-util.ts';
import type { Json } from './json-util.ts';
import type { SearchParams } from './source.ts';

export interface Faults {
  /** The next `count` /search requests answer 429 with `Retry-After: retryAfterSeconds`. */
  rateLimit?: { count: number; retryAfterSeconds: number };
  /** The next n /search requests answer 500. */
  serverErrors?: number;
  /** Every response waits this long first. */
  slowMs?: number;
  /** Ignore the cursor and always answer page 1 (the CMR-STAC bug), with a `next` link all the same. */
  repeatFirstPage?: boolean;
  /** Answer POST /search with 405, as a GET-only API does. */
  rejectPost?: boolean;
}

export interface StacServerOptions {
  dir: string;
  port?: number;
  host?: string;
  /** Page size when the client gives no limit. */
  defaultLimit?: number;
  /** Largest page served whatever the client asks. */
  maxPageSize?: number;
  faults?: Faults;
  /**
   * Where items' band assets point: `<assetBase>/<granule>/<file>` (e.g. the LP DAAC emulator's
   * protected-file URLs). Default: this server's own /data route.
   */
  assetBase?: string;
}

export interface RequestRecord {
  method: string;
  path: string;
  status: number;
  /** ms since the server started (performance clock). */
  at: number;
  /** When the response finished, same clock. */
  doneAt?: number;
  authorization?: string;
}

export interface StacServer {
  readonly url: string;
  readonly port: number;
  /** Mutable: tests change faults between requests. */
  faults: Faults;
  readonly requests: RequestRecord[];
  readonly problems: MetadataError[];
  /** Granules served. */
  readonly granuleCount: number;
  /** Re-read the directory. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

interface Granule {
  entry: GranuleEntry;
  meta: GranuleMetadata;
}

const MAX_BODY = 1 << 20;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error(`request body over ${MAX_BODY} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

class BadRequest extends Error {}

function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}
function decodeCursor(c: unknown): number {
  if (c === undefined || c === null || c === '') return 0;
  try {
    const v = JSON.parse(Buffer.from(String(c), 'base64url').toString('utf8')) as { o?: unknown };
    if (typeof v.o === 'number' && Number.isInteger(v.o) && v.o >= 0) return v.o;
  } catch {
    // fall through
  }
  throw new BadRequest(`invalid cursor ${JSON.stringify(c)}`);
}

/** Search parameters from a GET query or a POST body; names the parameter at fault. */
function parseSearch(q: Json): { params: SearchParams; bbox?: Bbox; limit?: number; cursor: number } {
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v !== '' ? v.split(',') : []);
  const params: SearchParams = { collections: list(q.collections) };
  if (q.datetime !== undefined) {
    if (typeof q.datetime !== 'string') throw new BadRequest('datetime must be a string');
    params.datetime = q.datetime;
  }
  if (q.intersects !== undefined) {
    let g: unknown = q.intersects;
    if (typeof g === 'string') {
      try {
        g = JSON.parse(g);
      } catch {
        throw new BadRequest('intersects is not valid GeoJSON');
      }
    }
    if (!isObj(g) || !geometryBbox(g)) throw new BadRequest('intersects is not a GeoJSON geometry');
    params.intersects = g as unknown as SearchParams['intersects'];
  }
  let bbox: Bbox | undefined;
  if (q.bbox !== undefined) {
    const b = list(q.bbox).map(Number);
    if (b.length !== 4 || b.some((x) => !Number.isFinite(x))) throw new BadRequest('bbox must be 4 numbers');
    bbox = b as Bbox;
  }
  let limit: number | undefined;
  if (q.limit !== undefined) {
    limit = Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new BadRequest(`limit must be a positive integer, got ${JSON.stringify(q.limit)}`);
  }
  return { params, ...(bbox ? { bbox } : {}), ...(limit !== undefined ? { limit } : {}), cursor: decodeCursor(q.cursor) };
}

export async function startStacServer(opts: StacServerOptions): Promise<StacServer> {
  const defaultLimit = opts.defaultLimit ?? 10;
  const maxPageSize = opts.maxPageSize ?? 100;
  const started = performance.now();
  let granules: Granule[] = [];
  let mapping: CidMapping | undefined;
  const problems: MetadataError[] = [];
  const requests: RequestRecord[] = [];

  const state: { faults: Faults } = { faults: opts.faults ?? {} };
  const reload = async (): Promise<void> => {
    const scan = await scanGranuleDir(opts.dir);
    problems.length = 0;
    problems.push(...scan.problems);
    mapping = await loadDirCidMapping(opts.dir);
    const next: Granule[] = [];
    for (const entry of scan.entries) {
      try {
        next.push({ entry, meta: readEcho10(await readFile(entry.xmlPath, 'utf8'), entry.xmlPath) });
      } catch (e) {
        problems.push(e as MetadataError);
      }
    }
    granules = next;
  };
  await reload();

  const item = (g: Granule, base: string): Json => {
    const id = g.entry.granuleId;
    const data = `${base}/data/${id}`;
    const assets: Json = {};
    for (const band of BANDS) {
      const filename = g.meta.bands[band]?.filename ?? `${id}.${band}.tif`;
      const href = opts.assetBase ? `${opts.assetBase}/${id}/${filename}` : `${data}/${filename}`;
      const asset: Json = { href, title: `Download ${filename}`, roles: ['data'], type: 'image/tiff; application=geotiff; profile=cloud-optimized' };
      const cid = mapping?.get(filename);
      if (cid) asset.alternate = { ipfs: { href: `ipfs://${cid}`, cid } };
      assets[band] = asset;
    }
    assets.metadata = { href: `${data}/${id}.cmr.xml`, title: `Download ${id}.cmr.xml`, roles: ['metadata'], type: 'application/xml' };
    const geometry = g.meta.footprint ? { type: 'Polygon', coordinates: [g.meta.footprint] } : null;
    return {
      type: 'Feature',
      stac_version: '1.0.0',
      id,
      collection: g.entry.collection,
      geometry,
      ...(geometry ? { bbox: geometryBbox(geometry) } : {}),
      properties: { datetime: g.meta.sensingTime ?? null, 'eo:cloud_cover': g.meta.cloudCover ?? null },
      assets,
      links: [
        { rel: 'self', href: `${base}/collections/${g.entry.collection}/items/${id}` },
        { rel: 'collection', href: `${base}/collections/${g.entry.collection}` },
      ],
    };
  };

  const collection = (id: string, base: string): Json => ({
    type: 'Collection',
    stac_version: '1.0.0',
    id,
    description: `Local ${id} granules`,
    license: 'proprietary',
    extent: { spatial: { bbox: [[-180, -90, 180, 90]] }, temporal: { interval: [[null, null]] } },
    links: [
      { rel: 'self', href: `${base}/collections/${id}` },
      { rel: 'items', href: `${base}/collections/${id}/items` },
    ],
  });

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/geo+json', ...headers });
    res.end(text);
  };

  const search = (q: Json, method: string, base: string, res: ServerResponse): void => {
    const { params, bbox, limit: asked, cursor } = parseSearch(q);
    const limit = Math.min(asked ?? defaultLimit, maxPageSize);
    const matched = granules.filter((g) => {
      if (!matchesSearch(g.meta, g.entry.collection, params)) return false;
      if (bbox && g.meta.footprint) {
        const fb = geometryBbox({ coordinates: [g.meta.footprint] });
        if (fb && !bboxesOverlap(bbox, fb)) return false;
      }
      return true;
    });
    const buggy = state.faults.repeatFirstPage === true;
    const offset = buggy ? 0 : cursor;
    const page = matched.slice(offset, offset + limit);
    const links: Json[] = [{ rel: 'root', href: `${base}/` }, { rel: 'self', href: `${base}/search` }];
    // The buggy server advances the cursor but keeps answering page 1.
    const more = (buggy ? cursor : offset) + limit < matched.length;
    if (more) {
      const nextCursor = encodeCursor(cursor + limit);
      if (method === 'POST') {
        links.push({ rel: 'next', href: `${base}/search`, method: 'POST', body: { cursor: nextCursor }, merge: true, type: 'application/geo+json' });
      } else {
        const u = new URL(`${base}/search`);
        for (const [k, v] of Object.entries(q)) if (k !== 'cursor' && v !== undefined) u.searchParams.set(k, typeof v === 'string' ? v : JSON.stringify(v));
        u.searchParams.set('cursor', nextCursor);
        links.push({ rel: 'next', href: u.toString(), type: 'application/geo+json' });
      }
    }
    send(res, 200, {
      type: 'FeatureCollection',
      stac_version: '1.0.0',
      numberMatched: matched.length,
      numberReturned: page.length,
      features: page.map((g) => item(g, base)),
      links,
      context: { returned: page.length, limit, matched: matched.length },
    });
  };

  const server: Server = createServer((req, res) => {
    const record: RequestRecord = { method: req.method ?? 'GET', path: req.url ?? '/', status: 0, at: performance.now() - started };
    if (typeof req.headers.authorization === 'string') record.authorization = req.headers.authorization;
    requests.push(record);
    res.on('finish', () => {
      record.status = res.statusCode;
      record.doneAt = performance.now() - started;
    });
    void (async () => {
      try {
        if (state.faults.slowMs) await new Promise((r) => setTimeout(r, state.faults.slowMs));
        const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
        const path = url.pathname.replace(/\/+$/, '');
        const origin = `http://${req.headers.host ?? `127.0.0.1:${port}`}`;
        let m: RegExpExecArray | null;
        if ((m = /^(.*)\/search$/.exec(path))) {
          const base = origin + m[1];
          const f = state.faults;
          if (f.rateLimit && f.rateLimit.count > 0) {
            f.rateLimit.count--;
            return send(res, 429, 'Too Many Requests', { 'retry-after': String(f.rateLimit.retryAfterSeconds) });
          }
          if (f.serverErrors && f.serverErrors > 0) {
            f.serverErrors--;
            return send(res, 500, 'Internal Server Error (injected)');
          }
          if (req.method === 'POST' && f.rejectPost) return send(res, 405, 'method not allowed', { allow: 'GET' });
          if (req.method === 'POST') {
            const text = await readBody(req);
            let body: unknown;
            try {
              body = text ? JSON.parse(text) : {};
            } catch {
              throw new BadRequest('request body is not JSON');
            }
            if (!isObj(body)) throw new BadRequest('request body must be a JSON object');
            return search(body, 'POST', base, res);
          }
          if (req.method !== 'GET') return send(res, 405, 'method not allowed', { allow: 'GET, POST' });
          return search(Object.fromEntries(url.searchParams), 'GET', base, res);
        }
        if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed', { allow: 'GET' });
        if ((m = /^(.*)\/data\/([^/]+)\/([^/]+)$/.exec(path))) {
          const [, , g = '', file = ''] = m;
          const known = granules.find((x) => x.entry.granuleId === g);
          if (!GRANULE_ID_PATTERN.test(g) || !known || !file.startsWith(`${g}.`) || file.includes('..')) return send(res, 404, `no such file ${g}/${file}`);
          const stream = createReadStream(join(known.entry.dir, file));
          stream.once('error', () => send(res, 404, `no such file ${g}/${file}`));
          stream.once('open', () => {
            res.writeHead(200, { 'content-type': file.endsWith('.xml') ? 'application/xml' : 'image/tiff' });
            stream.pipe(res);
          });
          return;
        }
        if ((m = /^(.*)\/collections\/([^/]+)\/items\/([^/]+)$/.exec(path))) {
          const g = granules.find((x) => x.entry.granuleId === m![3] && x.entry.collection === m![2]);
          return g ? send(res, 200, item(g, origin + m[1])) : send(res, 404, `no item ${m[3]} in ${m[2]}`);
        }
        const ids = [...new Set(granules.map((g) => g.entry.collection))].sort();
        if ((m = /^(.*)\/collections\/([^/]+)$/.exec(path))) {
          return ids.includes(m[2]!) ? send(res, 200, collection(m[2]!, origin + m[1])) : send(res, 404, `no collection ${m[2]}`);
        }
        if ((m = /^(.*)\/collections$/.exec(path))) {
          return send(res, 200, { collections: ids.map((id) => collection(id, origin + m![1])), links: [] });
        }
        return send(res, 200, {
          type: 'Catalog',
          stac_version: '1.0.0',
          id: 'local-hls',
          description: `Local HLS granules from ${opts.dir}`,
          conformsTo: ['https://api.stacspec.org/v1.0.0/core', 'https://api.stacspec.org/v1.0.0/item-search'],
          links: [
            { rel: 'self', href: `${origin}${path}/` },
            { rel: 'search', href: `${origin}${path}/search`, method: 'GET' },
            { rel: 'search', href: `${origin}${path}/search`, method: 'POST' },
            { rel: 'data', href: `${origin}${path}/collections` },
          ],
        });
      } catch (e) {
        if (e instanceof BadRequest) send(res, 400, { code: 'BadRequest', description: e.message });
        else if (!res.headersSent) send(res, 500, { code: 'InternalServerError', description: errorMessage(e) });
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    get faults() {
      return state.faults;
    },
    set faults(f: Faults) {
      state.faults = f;
    },
    requests,
    problems,
    get granuleCount() {
      return granules.length;
    },
    reload,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
