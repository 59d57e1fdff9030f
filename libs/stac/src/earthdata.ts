// Earthdata Login credentials: a bearer token (EARTHDATA_TOKEN) or a netrc entry (NETRC, else ~/.netrc),
// and the hosts they may be sent to. The STAC/CMR client and the HTTPS band source both use this, so
// there is one rule for where credentials go: only to an Earthdata host (suffix match), never elsewhere,
// never into logs, errors or events.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface NetrcEntry {
  login: string;
  password: string;
}

/** Hosts credentials may go to by default (suffix match): URS, CMR, LP DAAC's cloud data hosts. */
export const EARTHDATA_HOSTS: readonly string[] = ['earthdata.nasa.gov', 'earthdatacloud.nasa.gov'];

/** Parse a .netrc (machine/login/password tokens, `default` entry); returns host -> credentials. */
export function parseNetrc(text: string): Map<string, NetrcEntry> {
  const tokens = text.replace(/#.*$/gm, '').split(/\s+/).filter(Boolean);
  const out = new Map<string, NetrcEntry>();
  let host: string | undefined;
  let login = '';
  let password = '';
  const flush = (): void => {
    if (host !== undefined) out.set(host, { login, password });
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === 'machine' || t === 'default') {
      flush();
      host = t === 'default' ? '*' : tokens[++i];
      login = '';
      password = '';
    } else if (t === 'login') login = tokens[++i] ?? '';
    else if (t === 'password') password = tokens[++i] ?? '';
    else if (t === 'account' || t === 'macdef') i++;
  }
  flush();
  return out;
}

/** Where credentials come from: a token wins over a netrc file. */
export interface EarthdataAuth {
  /** Earthdata Login bearer token (EDL token). */
  token?: string;
  /** Path of a netrc file; its entry for a host becomes Basic auth on that host. */
  netrcPath?: string;
}

/** The netrc file a user would mean: NETRC, else ~/.netrc. */
export const netrcPathFrom = (env: NodeJS.ProcessEnv = process.env): string => env.NETRC || join(homedir(), '.netrc');

/** Credentials from the environment: EARTHDATA_TOKEN, or NETRC / ~/.netrc when that file exists. */
export function earthdataAuthFromEnv(env: NodeJS.ProcessEnv = process.env): EarthdataAuth {
  if (env.EARTHDATA_TOKEN) return { token: env.EARTHDATA_TOKEN };
  const path = netrcPathFrom(env);
  try {
    readFileSync(path);
    return { netrcPath: path };
  } catch {
    return {};
  }
}

/** The Earthdata Login host (where a netrc entry must point). */
export const URS_HOST = 'urs.earthdata.nasa.gov';

/** What to set when there are no credentials, naming the host that asked (one line). */
export function missingCredentialsMessage(host: string, env: NodeJS.ProcessEnv = process.env): string {
  return `no Earthdata Login credentials for ${host}: set EARTHDATA_TOKEN, or add "machine ${URS_HOST} login USER password PASS" to ${netrcPathFrom(env)} (NETRC overrides the path)`;
}

/** True when `host` is one of `authHosts` or a subdomain of one. */
export function isAuthHost(host: string, authHosts: readonly string[] = EARTHDATA_HOSTS): boolean {
  const h = host.toLowerCase();
  return authHosts.some((a) => h === a.toLowerCase() || h.endsWith(`.${a.toLowerCase()}`));
}

/** Reads the netrc once; answers the Authorization header for a URL, only on an auth host. */
export class EarthdataCredentials {
  readonly authHosts: readonly string[];
  readonly #token: string | undefined;
  readonly #netrc: Map<string, NetrcEntry> | undefined;

  constructor(auth: EarthdataAuth, authHosts: readonly string[] = EARTHDATA_HOSTS) {
    this.authHosts = authHosts;
    this.#token = auth.token;
    if (auth.netrcPath) this.#netrc = parseNetrc(readFileSync(auth.netrcPath, 'utf8'));
  }

  /** Any usable credentials: a token, or a netrc entry for an auth host (or a `default` entry). */
  get present(): boolean {
    if (this.#token !== undefined) return true;
    return [...(this.#netrc?.keys() ?? [])].some((h) => h === '*' || isAuthHost(h, this.authHosts));
  }

  /** The bearer token, for hosts on the list only. */
  bearer(url: URL): string | undefined {
    return this.#token && isAuthHost(url.hostname, this.authHosts) ? `Bearer ${this.#token}` : undefined;
  }

  /** Basic auth from the netrc entry of the URL's host (or `default`), for hosts on the list only. */
  basic(url: URL): string | undefined {
    if (!isAuthHost(url.hostname, this.authHosts)) return undefined;
    const e = this.#netrc?.get(url.hostname) ?? this.#netrc?.get('*');
    return e ? `Basic ${Buffer.from(`${e.login}:${e.password}`).toString('base64')}` : undefined;
  }

  /** What a STAC/CMR request sends: the token, else the netrc entry. */
  header(url: URL): string | undefined {
    return this.bearer(url) ?? this.basic(url);
  }
}
