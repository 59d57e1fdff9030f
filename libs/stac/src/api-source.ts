// A STAC API item search (CMR-STAC by default): POST /search, falling back to GET when the API does
// not take POST; follows `next` links as they say (method, body, merge); refuses to loop when a page
// repeats an earlier one (CMR-STAC once answered page 1 for every cursor).
import { RepeatedPageError, StacSourceError } from './errors.ts';
import type { ReadResult } from './granule.ts';
import { readEach } from './granule.ts';
import { HttpClient } from './http.ts';
import type { HttpOptions } from './http.ts';
import { isObj, str } from './json-util.ts';
import type { Json } from './json-util.ts';
import type { SceneSource, SearchParams } from './source.ts';
import { readStacItem } from './stac-item.ts';

export interface StacLink {
  rel: string;
  href: string;
  method?: string;
  body?: Json;
  merge?: boolean;
  headers?: Record<string, string>;
}

export interface PageInfo {
  page: number;
  url: string;
  method: 'GET' | 'POST';
  items: number;
}

/** The CMR-STAC root for a provider, as the original built it: `<base>/<endpoint>/<catalog>`. */
export function cmrStacUrl(p: { stac_base_cmr_url: string; stac_endpoint_provider: string; stac_catalog: string }): string {
  return `${p.stac_base_cmr_url.replace(/\/+$/, '')}/${p.stac_endpoint_provider}/${p.stac_catalog}`;
}

function searchBody(p: SearchParams): Json {
  const b: Json = { collections: p.collections, limit: p.limit ?? 100 };
  if (p.intersects) b.intersects = p.intersects;
  if (p.datetime) b.datetime = p.datetime;
  return b;
}

function searchQuery(url: string, p: SearchParams): string {
  const u = new URL(url);
  u.searchParams.set('collections', p.collections.join(','));
  u.searchParams.set('limit', String(p.limit ?? 100));
  if (p.intersects) u.searchParams.set('intersects', JSON.stringify(p.intersects));
  if (p.datetime) u.searchParams.set('datetime', p.datetime);
  return u.toString();
}

export function nextLink(page: unknown): StacLink | undefined {
  const links = isObj(page) && Array.isArray(page.links) ? page.links : [];
  for (const l of links) {
    if (isObj(l) && l.rel === 'next' && typeof l.href === 'string') {
      const link: StacLink = { rel: 'next', href: l.href };
      if (typeof l.method === 'string') link.method = l.method.toUpperCase();
      if (isObj(l.body)) link.body = l.body;
      if (typeof l.merge === 'boolean') link.merge = l.merge;
      if (isObj(l.headers)) link.headers = Object.fromEntries(Object.entries(l.headers).filter((e): e is [string, string] => typeof e[1] === 'string'));
      return link;
    }
  }
  return undefined;
}

export interface StacApiOptions extends HttpOptions {
  /** Safety net on pages followed. */
  maxPages?: number;
  onPage?: (p: PageInfo) => void;
}

export class StacApiSource implements SceneSource {
  readonly name: string;
  readonly http: HttpClient;
  readonly #root: string;
  readonly #maxPages: number;
  readonly #onPage: ((p: PageInfo) => void) | undefined;

  constructor(rootUrl: string, opts: StacApiOptions = {}) {
    this.#root = rootUrl.replace(/\/+$/, '');
    this.name = this.#root;
    this.http = new HttpClient(opts);
    this.#maxPages = opts.maxPages ?? 1000;
    this.#onPage = opts.onPage;
  }

  /** Every item of the search, page by page. */
  async *items(params: SearchParams): AsyncGenerator<{ item: unknown; source: string }> {
    const searchUrl = `${this.#root}/search`;
    let url = searchUrl;
    let method: 'GET' | 'POST' = 'POST';
    let body: Json | undefined = searchBody(params);
    let headers: Record<string, string> | undefined;
    const seenPages = new Map<string, number>();
    const seenRequests = new Set<string>();
    let count = 0;
    for (let page = 1; ; page++) {
      if (page > this.#maxPages) throw new StacSourceError(url, `more than ${this.#maxPages} pages; stopping`);
      const reqKey = `${method} ${url} ${JSON.stringify(body ?? null)}`;
      if (seenRequests.has(reqKey)) throw new StacSourceError(url, `page ${page}: the next link repeats an earlier request; stopping instead of looping`);
      seenRequests.add(reqKey);
      let doc: unknown;
      if (page === 1 && method === 'POST') {
        const r = await this.http.request(url, { method, body, ...(headers ? { headers } : {}) });
        if (r.status === 405 || r.status === 404 || r.status === 501) {
          // The API does not take POST /search: the same search as GET.
          method = 'GET';
          body = undefined;
          url = searchQuery(searchUrl, params);
          seenRequests.add(`${method} ${url} null`);
          doc = await this.http.json(url);
        } else if (r.status < 200 || r.status >= 300) {
          throw new StacSourceError(url, `HTTP ${r.status}: ${r.text.slice(0, 300)}`, { status: r.status });
        } else {
          try {
            doc = JSON.parse(r.text);
          } catch (e) {
            throw new StacSourceError(url, `response is not JSON: ${r.text.slice(0, 120)}`, { cause: e });
          }
        }
      } else {
        doc = await this.http.json(url, { method, ...(body ? { body } : {}), ...(headers ? { headers } : {}) });
      }
      if (!isObj(doc) || !Array.isArray(doc.features)) throw new StacSourceError(url, 'search response is not a FeatureCollection (no features array)');
      const features = doc.features;
      this.#onPage?.({ page, url, method, items: features.length });
      if (features.length > 0) {
        const key = features.map((f) => (isObj(f) ? str(f.id) : '') ?? '').join('\n');
        const first = seenPages.get(key);
        if (first !== undefined) throw new RepeatedPageError(url, page, first);
        seenPages.set(key, page);
      }
      for (const [i, item] of features.entries()) {
        yield { item, source: `${url}${method === 'POST' ? ` (POST page ${page})` : ''}#features[${i}]` };
        if (params.maxItems !== undefined && ++count >= params.maxItems) return;
      }
      const next = nextLink(doc);
      if (!next || features.length === 0) return;
      const nextMethod = next.method === 'POST' ? 'POST' : 'GET';
      if (nextMethod === 'POST') {
        body = next.merge ? { ...(body ?? searchBody(params)), ...(next.body ?? {}) } : (next.body ?? body);
      } else {
        body = undefined;
      }
      method = nextMethod;
      url = new URL(next.href, url).toString();
      headers = next.headers;
    }
  }

  async search(params: SearchParams): Promise<ReadResult> {
    const all: { item: unknown; source: string }[] = [];
    for await (const it of this.items(params)) all.push(it);
    return readEach(all, ({ item, source }) => readStacItem(item, source));
  }

  async fetchText(href: string): Promise<string> {
    return this.http.text(new URL(href, `${this.#root}/`).toString());
  }
}

