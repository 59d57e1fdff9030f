// The web server of `hls-chips web`: static pages, Leaflet and geoman from node_modules (no CDN), the
// chip and tile overlays as GeoJSON, AOI preview/save through @hls/geo's AOI filter, and run state as
// JSON snapshots plus server-sent events. node:http only; every browser input is validated here.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HlsError } from '@hls/common';
import { ChipIdSchema, QUICKLOOK_VIEWS, RunIdSchema, quicklookPath, type QuicklookView, type RunInputRef } from '@hls/contracts';
import { DEFAULT_AOI_MODE, aoiGeometries, chipsInAoi, parseChipPayload, selectionPaths, type PayloadText, validateSelectionName, writeAoiSelection, type AoiMode, type ChipRecord, type S2Tile } from '@hls/geo';
import { chipsGeoJson, tilesGeoJson, type FeatureCollection } from './geojson.ts';
import type { RunFeed } from './run-feed.ts';

export interface BaseMap {
  /** Leaflet tile URL template, e.g. `https://tile.openstreetmap.org/{z}/{x}/{y}.png`. */
  url: string;
  attribution?: string;
}

export interface WebServerOptions {
  /** The chip payload shown and filtered by the AOI selector (its path, for messages). */
  chipsFile?: string;
  chips?: readonly ChipRecord[];
  tiles?: readonly S2Tile[];
  /** Directory that holds `aoi_selections/`. */
  outDir: string;
  /** Run state; without it the run view says that no NATS is connected. */
  feed?: RunFeed;
  /** A run input's bytes from the run-inputs object store (the run map draws the run's own chip boxes). */
  readRunInput?: (ref: RunInputRef) => Promise<Uint8Array>;
  /** Off by default: the overlays need no internet. */
  baseMap?: BaseMap;
  /** Trace viewer URL template with `{traceId}` (Jaeger: http://HOST:16686/trace/{traceId}): trace ids become links. */
  traceUrl?: string;
  /** Largest request body accepted (bytes). */
  maxBody?: number;
  /**
   * Answer only requests whose Host is a loopback name (127.0.0.1, localhost, [::1]): a web page that
   * rebinds its DNS name to 127.0.0.1 cannot then reach the server. On by default when bound to loopback.
   */
  loopbackHostsOnly?: boolean;
  log?: (msg: string) => void;
}

export const PUBLIC_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'public');

const require = createRequire(import.meta.url);
/** Vendor files served from node_modules: URL prefix -> package dist directory. */
export const VENDOR_DIRS: Record<string, string> = {
  leaflet: dirname(require.resolve('leaflet')),
  geoman: dirname(require.resolve('@geoman-io/leaflet-geoman-free')),
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
};

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i;
const LOOPBACK_ADDR = new Set(['127.0.0.1', 'localhost', '::1']);

/** An answer other than 200 to a request; a 5xx is the server's fault and may pass, a 4xx is the request's. */
class HttpError extends HlsError {
  readonly status: number;
  constructor(status: number, message: string) {
    super('http', message, { retryable: status >= 500 || status === 429 });
    this.status = status;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A file under `root`, or undefined: `..`, absolute paths and anything resolving outside root are refused. */
export function safeJoin(root: string, rel: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.split(/[\\/]/).includes('..')) return undefined;
  const full = resolve(root, `.${sep}${decoded}`);
  return full.startsWith(root + sep) ? full : undefined;
}

function sendFile(res: ServerResponse, file: string | undefined): void {
  if (!file || !existsSync(file) || !statSync(file).isFile()) throw new HttpError(404, 'not found');
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
  createReadStream(file).pipe(res);
}

async function readJsonBody(req: IncomingMessage, max: number): Promise<unknown> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > max) throw new HttpError(413, `request body is larger than ${max} bytes`);
    parts.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
  } catch (e) {
    throw new HttpError(400, `request body is not JSON: ${(e as Error).message}`);
  }
}

function aoiRequest(body: unknown): { aoi: ReturnType<typeof aoiGeometries>; mode: AoiMode; name?: unknown; overwrite: boolean } {
  if (typeof body !== 'object' || body === null) throw new HttpError(400, 'request body must be a JSON object');
  const b = body as Record<string, unknown>;
  const mode = b.mode ?? DEFAULT_AOI_MODE;
  if (mode !== 'within' && mode !== 'intersects') throw new HttpError(400, `mode must be 'within' or 'intersects', not ${JSON.stringify(mode)}`);
  try {
    return { aoi: aoiGeometries(b.aoi, 'aoi'), mode, name: b.name, overwrite: b.overwrite === true };
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
}

export interface WebServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export function createWebHandler(o: WebServerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const chips = o.chips ?? [];
  const maxBody = o.maxBody ?? 5_000_000;
  let chipsDoc: FeatureCollection | undefined;
  let tilesDoc: FeatureCollection | undefined;
  const runChips = new Map<string, Promise<FeatureCollection>>();

  async function chipsOfRun(runId: string): Promise<FeatureCollection> {
    const refs = o.feed?.chipPayload(runId);
    const read = o.readRunInput;
    if (!refs || !read) return (chipsDoc ??= chipsGeoJson(chips));
    const key = `${refs.payload.sha256}:${refs.twin?.sha256 ?? ''}`;
    let p = runChips.get(key);
    if (!p) {
      const label = (r: RunInputRef): string => r.source ?? r.object;
      const text = async (r: RunInputRef): Promise<PayloadText> => ({ file: label(r), text: new TextDecoder().decode(await read(r)) });
      // The run's own payload (from its inputs in the object store); when it cannot be read, the --chips one.
      p = (async () => chipsGeoJson(parseChipPayload(await text(refs.payload), refs.twin ? await text(refs.twin) : null).chips))().catch((e: unknown) => {
        o.log?.(`run ${runId}: cannot read its chip payload ${label(refs.payload)} (${(e as Error).message}); showing ${o.chipsFile ?? 'no'} chip boxes`);
        return (chipsDoc ??= chipsGeoJson(chips));
      });
      runChips.set(key, p);
    }
    return p;
  }

  function events(req: IncomingMessage, res: ServerResponse, runId: string): void {
    const feed = o.feed;
    if (!feed) throw new HttpError(503, 'no run feed: the server was started without NATS');
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    // Subscribe before the snapshot so nothing falls between them (an update may repeat a chip: harmless).
    const off = feed.subscribe(runId, (u) => send('update', u));
    send('snapshot', feed.snapshot(runId) ?? { runId, completed: false, chips: [], counts: null, invalid: [] });
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(ping);
      off();
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (o.loopbackHostsOnly && !LOOPBACK_HOST.test(req.headers.host ?? '')) throw new HttpError(403, `host ${JSON.stringify(req.headers.host ?? '')} is not a loopback name`);
    // JSON only: a cross-site form post (text/plain, form-encoded) cannot write files here.
    if (method === 'POST' && !/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'POST bodies must be application/json');
    // A browser names the page that sends a POST: only this server's own pages may write files.
    const origin = req.headers.origin;
    if (method === 'POST' && origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) throw new HttpError(403, `origin ${JSON.stringify(origin)} may not post here`);
    if (method === 'GET' && (path === '/' || path === '/index.html')) return sendFile(res, join(PUBLIC_DIR, 'index.html'));
    if (method === 'GET' && (path === '/run' || path === '/run.html')) return sendFile(res, join(PUBLIC_DIR, 'run.html'));
    if (method === 'GET' && path.startsWith('/static/')) return sendFile(res, safeJoin(PUBLIC_DIR, path.slice('/static/'.length)));
    if (method === 'GET' && path.startsWith('/vendor/')) {
      const [, , pkg, ...rest] = path.split('/');
      // Own keys only: `__proto__` or `constructor` must be a 404, not a lookup on Object.prototype.
      const root = pkg !== undefined && Object.hasOwn(VENDOR_DIRS, pkg) ? VENDOR_DIRS[pkg] : undefined;
      return sendFile(res, root ? safeJoin(root, rest.join('/')) : undefined);
    }
    if (method === 'GET' && path === '/api/config') {
      return sendJson(res, 200, { chipsFile: o.chipsFile ?? null, chipCount: chips.length, tileCount: o.tiles?.length ?? 0, baseMap: o.baseMap ?? null, traceUrl: o.traceUrl ?? null, runs: o.feed !== undefined });
    }
    if (method === 'GET' && path === '/api/chips') return sendJson(res, 200, (chipsDoc ??= chipsGeoJson(chips)));
    if (method === 'GET' && path === '/api/grid') return sendJson(res, 200, (tilesDoc ??= tilesGeoJson(o.tiles ?? [])));
    if (method === 'POST' && path === '/api/aoi/preview') {
      const r = aoiRequest(await readJsonBody(req, maxBody));
      const ids = chipsInAoi(chips, r.aoi, r.mode).map((c) => c.id);
      return sendJson(res, 200, { count: ids.length, ids });
    }
    if (method === 'POST' && path === '/api/aoi/save') {
      const r = aoiRequest(await readJsonBody(req, maxBody));
      if (typeof r.name !== 'string') throw new HttpError(400, 'name must be a string');
      let name: string;
      try {
        name = validateSelectionName(r.name);
      } catch (e) {
        throw new HttpError(400, (e as Error).message);
      }
      if (chips.length === 0) throw new HttpError(409, 'no chip payload loaded: start the server with --chips <file>');
      const existing = selectionPaths(o.outDir, name).payload;
      if (!r.overwrite && existsSync(existing)) throw new HttpError(409, `a selection named ${name} exists already (${existing}): send overwrite: true to replace it`);
      const w = await writeAoiSelection(o.outDir, name, chips, r.aoi, r.mode);
      o.log?.(`saved AOI selection ${name}: ${w.chips.length} chips -> ${w.payload}, ${w.twin}`);
      return sendJson(res, 201, { name, count: w.chips.length, ids: w.chips.map((c) => c.id), payload: w.payload, twin: w.twin });
    }
    if (method === 'GET' && path === '/api/runs') return sendJson(res, 200, { enabled: o.feed !== undefined, runs: o.feed?.runs() ?? [] });
    const q = /^\/api\/runs\/([^/]+)\/chips\/([^/]+)\/quicklook\/([a-z0-9]+)\.png$/.exec(path);
    if (method === 'GET' && q) {
      const id = RunIdSchema.safeParse(decodeURIComponent(q[1] as string));
      const chip = ChipIdSchema.safeParse(decodeURIComponent(q[2] as string));
      const view = q[3] as QuicklookView;
      if (!id.success || !chip.success || !QUICKLOOK_VIEWS.includes(view)) throw new HttpError(400, `bad quick-look request ${path}`);
      const dir = o.feed?.datasetDir(id.data);
      if (!dir) throw new HttpError(404, `run ${id.data}: dataset dir not known (no hls.run.requested seen)`);
      return sendFile(res, join(dir, quicklookPath(chip.data, view)));
    }
    const m = /^\/api\/runs\/([^/]+)(\/chips|\/events)?$/.exec(path);
    if (method === 'GET' && m) {
      const id = RunIdSchema.safeParse(decodeURIComponent(m[1] as string));
      if (!id.success) throw new HttpError(400, `bad run id: ${id.error.issues[0]?.message ?? 'invalid'}`);
      if (m[2] === '/events') return events(req, res, id.data);
      if (m[2] === '/chips') return sendJson(res, 200, await chipsOfRun(id.data));
      const s = o.feed?.snapshot(id.data);
      if (!s) throw new HttpError(404, `no events of run ${id.data}`);
      return sendJson(res, 200, s);
    }
    throw new HttpError(404, `no route ${method} ${path}`);
  }

  return (req, res) => {
    route(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (status === 500) o.log?.(`error on ${req.method} ${req.url}: ${(e as Error).stack ?? String(e)}`);
      if (res.headersSent) {
        res.end();
        return;
      }
      sendJson(res, status, { error: (e as Error).message });
    });
  };
}

/** Start the server; port 0 picks a free one. Bound to 127.0.0.1 unless told otherwise. */
export async function startWebServer(o: WebServerOptions & { port?: number; host?: string }): Promise<WebServer> {
  const host = o.host ?? '127.0.0.1';
  const server = createServer(createWebHandler({ loopbackHostsOnly: LOOPBACK_ADDR.has(host), ...o }));
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(o.port ?? 0, host, () => res());
  });
  const addr = server.address();
  if (typeof addr !== 'object' || !addr) throw new Error('web server has no address');
  const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${h}:${addr.port}`,
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}
