// A local stand-in for LP DAAC's protected-file endpoint and Earthdata Login, for tests and the demo.
// Three servers, so that each hop of the real flow is on its own host:
//   data host (127.0.0.1)   GET /lp-prod-protected/<collection>/<granule>/<file>
//                           - with a valid session cookie or `Authorization: Bearer <token>`: 302 to a signed URL
//                           - with a bad bearer token: 401
//                           - otherwise: 302 to the auth host's /oauth/authorize (redirect_uri = /login on the data host)
//                           GET /login?code=&state=: exchanges the code, sets the session cookie, 302 back to the file
//   auth host (localhost)   GET /oauth/authorize: Basic auth (the netrc entry) -> 302 to redirect_uri with a code;
//                           no or wrong credentials -> 401 with a WWW-Authenticate challenge
//   signed host (127.0.0.2) GET /<granule>/<file>?X-Amz-Expires=&X-Amz-Signature=: the bytes, with HTTP Range
// Files come from a granule directory (`<dir>/<granule>/<file>`). Faults are deterministic: a disconnect
// after N bytes, 5xx answers, 429 with Retry-After, wrong bytes or a short file. Every server records
// what it received (authorization, cookie, range) so tests can assert where credentials went.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GRANULE_ID_PATTERN } from '@hls/contracts';

export interface LpDaacFaults {
  /** file name -> bytes sent before the connection is cut (once per entry; the entry is then removed). */
  disconnectAfter: Map<string, number>;
  /** file name -> number of 503 answers still to give on the signed host. */
  serverErrors: Map<string, number>;
  /** file name -> number of 429 answers (Retry-After: 0) still to give on the data host. */
  rateLimited: Map<string, number>;
  /** Files served with one byte changed (same size). */
  corrupt: Set<string>;
  /** Files served one byte short (HTTP framing consistent, size wrong). */
  truncated: Set<string>;
  /** Ignore Range headers (answer 200 with the whole file). */
  ignoreRange: boolean;
}

export interface LpDaacRequest {
  server: 'data' | 'auth' | 'signed';
  host: string;
  method: string;
  path: string;
  status: number;
  authorization?: string;
  cookie?: string;
  range?: string;
}

export interface LpDaacOptions {
  /** Granule directory whose band files are served. */
  dir: string;
  /** The Earthdata Login user the auth host accepts (a netrc entry for its host). */
  user?: { login: string; password: string };
  /** Bearer tokens the data host accepts. */
  tokens?: string[];
  /** Serve the file from the data host after login instead of redirecting to a signed URL. */
  noSignedUrls?: boolean;
  /** Bind hosts (defaults 127.0.0.1 / localhost / 127.0.0.2). */
  hosts?: { data?: string; auth?: string; signed?: string };
}

export interface LpDaacEmulator {
  /** Data host root, e.g. http://127.0.0.1:PORT */
  readonly dataUrl: string;
  readonly authUrl: string;
  readonly signedUrl: string;
  /** Host names credentials may go to (what `earthdata.auth_hosts` lists for this emulator). */
  readonly authHosts: string[];
  /** The host name of the auth server (the netrc `machine`). */
  readonly authHost: string;
  /** The URL of a band file, as a STAC item's asset href would give it. */
  hrefFor(granuleId: string, file: string): string;
  /** Prefix of every file URL (`hrefFor` = `${assetBase}/<granule>/<file>`). */
  readonly assetBase: string;
  readonly requests: LpDaacRequest[];
  faults: LpDaacFaults;
  close(): Promise<void>;
}

export const emptyLpDaacFaults = (): LpDaacFaults => ({
  disconnectAfter: new Map(),
  serverErrors: new Map(),
  rateLimited: new Map(),
  corrupt: new Set(),
  truncated: new Set(),
  ignoreRange: false,
});

const FILE_PATH = /^\/lp-prod-protected\/[^/]+\/([^/]+)\/([^/]+)$/;

function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export async function startLpDaacEmulator(o: LpDaacOptions): Promise<LpDaacEmulator> {
  const user = o.user ?? { login: 'hls-user', password: 'hls-password' };
  const tokens = new Set(o.tokens ?? []);
  const secret = randomBytes(16);
  const codes = new Set<string>();
  const sessions = new Set<string>();
  const requests: LpDaacRequest[] = [];
  const state = { faults: emptyLpDaacFaults() };
  const bind = { data: o.hosts?.data ?? '127.0.0.1', auth: o.hosts?.auth ?? '127.0.0.1', signed: o.hosts?.signed ?? '127.0.0.2' };
  // The auth host is reached by another name than the data host, so the two never share credentials or cookies.
  const authName = 'localhost';
  let dataUrl = '';
  let authUrl = '';
  let signedUrl = '';

  const record = (server: LpDaacRequest['server'], req: IncomingMessage, res: ServerResponse): void => {
    const r: LpDaacRequest = { server, host: String(req.headers.host ?? ''), method: req.method ?? 'GET', path: req.url ?? '/', status: 0 };
    if (req.headers.authorization) r.authorization = req.headers.authorization;
    if (req.headers.cookie) r.cookie = req.headers.cookie;
    if (typeof req.headers.range === 'string') r.range = req.headers.range;
    requests.push(r);
    res.on('finish', () => (r.status = res.statusCode));
    res.on('close', () => (r.status ||= res.statusCode));
  };
  const send = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(text);
  };
  const sign = (path: string, expires: number): string => createHmac('sha256', secret).update(`${path}:${expires}`).digest('hex');
  const fileOf = async (granule: string, file: string): Promise<string | undefined> => {
    if (!GRANULE_ID_PATTERN.test(granule) || !file.startsWith(`${granule}.`) || file.includes('..') || file.includes('/')) return undefined;
    const p = join(o.dir, granule, file);
    try {
      return (await stat(p)).isFile() ? p : undefined;
    } catch {
      return undefined;
    }
  };

  /** The bytes with Range, and the faults injected for this file. */
  const serveFile = async (req: IncomingMessage, res: ServerResponse, path: string, file: string): Promise<void> => {
    const f = state.faults;
    const errors = f.serverErrors.get(file) ?? 0;
    if (errors > 0) {
      f.serverErrors.set(file, errors - 1);
      return send(res, 503, 'Service Unavailable (injected)');
    }
    let body = await readFile(path);
    if (f.truncated.has(file)) body = body.subarray(0, body.length - 1);
    if (f.corrupt.has(file)) {
      body = Buffer.from(body);
      const i = Math.floor(body.length / 2);
      body[i] = (body[i] ?? 0) ^ 0xff;
    }
    const total = body.length;
    let start = 0;
    let end = total - 1;
    const range = typeof req.headers.range === 'string' && !f.ignoreRange ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range) : null;
    if (range) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(end, Number(range[2]));
      if (start >= total || start > end) return send(res, 416, 'Range Not Satisfiable', { 'content-range': `bytes */${total}` });
    }
    const headers: Record<string, string> = { 'content-type': 'image/tiff', 'accept-ranges': 'bytes', 'content-length': String(end - start + 1) };
    if (range) headers['content-range'] = `bytes ${start}-${end}/${total}`;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD') return void res.end();
    const slice = body.subarray(start, end + 1);
    const cut = f.disconnectAfter.get(file);
    if (cut !== undefined && cut < slice.length) {
      f.disconnectAfter.delete(file);
      // Send part of the body, then close the connection mid-transfer. A FIN after the data (not a reset,
      // which may discard bytes the client has not read yet), so the client holds exactly `cut` bytes.
      res.write(slice.subarray(0, cut), () => res.socket?.end());
      return;
    }
    res.end(slice);
  };

  const data = createServer((req, res) => {
    record('data', req, res);
    void (async () => {
      const url = new URL(req.url ?? '/', dataUrl);
      if (url.pathname === '/login') {
        const code = url.searchParams.get('code') ?? '';
        const back = url.searchParams.get('state') ?? '/';
        if (!codes.delete(code)) return send(res, 401, 'invalid or used authorization code');
        const session = randomBytes(12).toString('hex');
        sessions.add(session);
        return send(res, 302, '', { location: back.startsWith('/') ? back : '/', 'set-cookie': `lpdaac_session=${session}; Path=/; HttpOnly` });
      }
      const m = FILE_PATH.exec(url.pathname);
      const path = m ? await fileOf(m[1] ?? '', m[2] ?? '') : undefined;
      if (!m || !path) return send(res, 404, `no such file ${url.pathname}`);
      const file = m[2] ?? '';
      const limited = state.faults.rateLimited.get(file) ?? 0;
      if (limited > 0) {
        state.faults.rateLimited.set(file, limited - 1);
        return send(res, 429, 'Too Many Requests (injected)', { 'retry-after': '0' });
      }
      const auth = req.headers.authorization ?? '';
      const bearer = /^Bearer (.+)$/.exec(auth)?.[1];
      const authed = sessions.has(cookies(req).get('lpdaac_session') ?? '') || (bearer !== undefined && tokens.has(bearer));
      if (bearer !== undefined && !authed) return send(res, 401, 'invalid Earthdata Login token');
      if (!authed) {
        const login = new URL('/oauth/authorize', authUrl);
        login.searchParams.set('client_id', 'lpdaac-emulator');
        login.searchParams.set('response_type', 'code');
        login.searchParams.set('redirect_uri', `${dataUrl}/login`);
        login.searchParams.set('state', url.pathname);
        return send(res, 302, '', { location: login.toString() });
      }
      if (o.noSignedUrls) return serveFile(req, res, path, file);
      const key = `/${m[1]}/${file}`;
      const expires = 3600;
      return send(res, 302, '', { location: `${signedUrl}${key}?X-Amz-Expires=${expires}&X-Amz-Signature=${sign(key, expires)}` });
    })().catch((e: unknown) => send(res, 500, String(e)));
  });

  const auth = createServer((req, res) => {
    record('auth', req, res);
    const url = new URL(req.url ?? '/', authUrl);
    if (url.pathname !== '/oauth/authorize') return send(res, 404, 'not found');
    const redirect = url.searchParams.get('redirect_uri') ?? '';
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [login, password] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
    if (login !== user.login || password !== user.password || !redirect.startsWith(dataUrl)) {
      return send(res, 401, 'Earthdata Login: authentication required', { 'www-authenticate': 'Basic realm="Please enter your Earthdata Login credentials"' });
    }
    const code = randomBytes(12).toString('hex');
    codes.add(code);
    const back = new URL(redirect);
    back.searchParams.set('code', code);
    back.searchParams.set('state', url.searchParams.get('state') ?? '/');
    return send(res, 302, '', { location: back.toString() });
  });

  const signed = createServer((req, res) => {
    record('signed', req, res);
    void (async () => {
      const url = new URL(req.url ?? '/', signedUrl);
      const expires = Number(url.searchParams.get('X-Amz-Expires'));
      if (url.searchParams.get('X-Amz-Signature') !== sign(url.pathname, expires)) return send(res, 403, 'SignatureDoesNotMatch');
      const [, granule = '', file = ''] = url.pathname.split('/');
      const path = await fileOf(granule, file);
      if (!path) return send(res, 404, 'NoSuchKey');
      return serveFile(req, res, path, file);
    })().catch((e: unknown) => send(res, 500, String(e)));
  });

  const servers = [data, auth, signed];
  try {
    dataUrl = `http://${bind.data}:${await listen(data, bind.data)}`;
    authUrl = `http://${authName}:${await listen(auth, bind.auth)}`;
    signedUrl = `http://${bind.signed}:${await listen(signed, bind.signed)}`;
  } catch (e) {
    for (const s of servers) s.close();
    throw e;
  }
  const assetBase = `${dataUrl}/lp-prod-protected/HLSS30.020`;
  return {
    dataUrl,
    authUrl,
    signedUrl,
    authHost: authName,
    authHosts: [new URL(dataUrl).hostname, authName],
    assetBase,
    hrefFor: (granule, file) => `${assetBase}/${granule}/${file}`,
    requests,
    get faults() {
      return state.faults;
    },
    set faults(f: LpDaacFaults) {
      state.faults = f;
    },
    close: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}

/**
 * Add LP DAAC's archive information to each granule's `.cmr.xml` in a granule directory, as LP DAAC does
 * when it archives a granule: one `DataGranule/AdditionalFile` per file on disk with its size and SHA512.
 * Granules already carrying AdditionalFile entries are left as they are.
 */
export async function addArchiveInfo(dir: string): Promise<number> {
  let n = 0;
  for (const g of (await readdir(dir)).filter((d) => GRANULE_ID_PATTERN.test(d)).sort()) {
    const xmlPath = join(dir, g, `${g}.cmr.xml`);
    let xml: string;
    try {
      xml = await readFile(xmlPath, 'utf8');
    } catch {
      continue;
    }
    if (xml.includes('<AdditionalFile>') || !xml.includes('</DataGranule>')) continue;
    const files = (await readdir(join(dir, g))).filter((f) => f.startsWith(`${g}.`) && f.endsWith('.tif')).sort();
    const entries: string[] = [];
    for (const f of files) {
      const bytes = await readFile(join(dir, g, f));
      const sha = createHash('sha512').update(bytes).digest('hex');
      entries.push(
        `    <AdditionalFile>\n      <Name>${f}</Name>\n      <SizeInBytes>${bytes.length}</SizeInBytes>\n      <Checksum>\n        <Value>${sha}</Value>\n        <Algorithm>SHA512</Algorithm>\n      </Checksum>\n    </AdditionalFile>\n`,
      );
    }
    await writeFile(xmlPath, xml.replace('</DataGranule>', `${entries.join('')}  </DataGranule>`));
    n++;
  }
  return n;
}
