// A static STAC catalog (catalog.json on disk or over HTTP): child links are walked, item links read,
// and collection / datetime / intersects are applied here since there is no API to do it.
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MetadataError, errorMessage } from './errors.ts';
import { bboxesOverlap, geometryBbox, inInterval, parseInterval } from './filters.ts';
import type { ReadResult } from './granule.ts';
import { HttpClient } from './http.ts';
import type { HttpOptions } from './http.ts';
import { arr, isObj, str } from './json-util.ts';
import type { SceneSource, SearchParams } from './source.ts';
import { readStacItem } from './stac-item.ts';

/** Turn a path or URL into a URL string (paths become file: URLs). */
export function toUrl(pathOrUrl: string, base?: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pathOrUrl)) return pathOrUrl;
  if (base) return new URL(pathOrUrl, base).toString();
  return pathToFileURL(pathOrUrl).toString();
}

export class StaticCatalogSource implements SceneSource {
  readonly name: string;
  readonly #root: string;
  readonly #http: HttpClient;
  /** Safety net on documents read. */
  readonly #maxDocuments: number;
  /** Documents read at once. */
  readonly #concurrency: number;

  constructor(catalog: string, opts: HttpOptions & { maxDocuments?: number; concurrency?: number } = {}) {
    this.#root = toUrl(catalog);
    this.name = catalog;
    this.#http = new HttpClient(opts);
    this.#maxDocuments = opts.maxDocuments ?? 100_000;
    this.#concurrency = opts.concurrency ?? 8;
  }

  async fetchText(href: string): Promise<string> {
    const url = toUrl(href, this.#root);
    return url.startsWith('file:') ? readFile(fileURLToPath(url), 'utf8') : this.#http.text(url);
  }

  async #json(url: string): Promise<unknown> {
    const text = await this.fetchText(url);
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new MetadataError(url, `not valid JSON: ${errorMessage(e)}`, { cause: e });
    }
  }

  async search(params: SearchParams): Promise<ReadResult> {
    const out: ReadResult = { records: [], problems: [] };
    const interval = parseInterval(params.datetime);
    const area = params.intersects ? geometryBbox(params.intersects) : undefined;
    const seen = new Set<string>();
    const queue: { url: string; collection?: string }[] = [{ url: this.#root }];
    // Documents are fetched by a few workers (the HTTP limiter bounds requests); records are sorted at
    // the end so the result does not depend on timing.
    const visit = async (url: string, collection: string | undefined): Promise<void> => {
      let doc: unknown;
      try {
        doc = await this.#json(url);
      } catch (e) {
        if (url === this.#root) throw e;
        out.problems.push(e instanceof MetadataError ? e : new MetadataError(url, errorMessage(e), { cause: e }));
        return;
      }
      if (!isObj(doc)) return;
      if (doc.type === 'Feature') {
        try {
          const itemCollection = str(doc.collection) ?? collection;
          if (params.collections.length > 0 && itemCollection !== undefined && !params.collections.includes(itemCollection)) return;
          const props = isObj(doc.properties) ? doc.properties : {};
          if (!inInterval(str(props.datetime) ?? str(props.start_datetime), interval)) return;
          const bbox = geometryBbox(doc.geometry);
          if (area && bbox && !bboxesOverlap(area, bbox)) return;
          const meta = readStacItem(doc, url);
          // Asset hrefs are relative to the item document.
          meta.metadataLinks = meta.metadataLinks.map((l) => new URL(l, url).toString());
          for (const b of Object.values(meta.bands)) if (b.href) b.href = new URL(b.href, url).toString();
          out.records.push(meta);
        } catch (e) {
          out.problems.push(e instanceof MetadataError ? e : new MetadataError(url, errorMessage(e), { cause: e }));
        }
        return;
      }
      const here = doc.type === 'Collection' ? str(doc.id) : collection;
      for (const l of arr(doc.links)) {
        if (!isObj(l) || typeof l.href !== 'string') continue;
        if (l.rel === 'child' || l.rel === 'item') queue.push({ url: new URL(l.href, url).toString(), ...(here ? { collection: here } : {}) });
      }
    };
    let active = 0;
    let failure: unknown;
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        while (failure === undefined && active < this.#concurrency && queue.length > 0) {
          const { url, collection } = queue.shift()!;
          if (seen.has(url)) continue;
          seen.add(url);
          if (seen.size > this.#maxDocuments) {
            failure = new MetadataError(this.name, `more than ${this.#maxDocuments} documents; stopping`);
            break;
          }
          active++;
          visit(url, collection)
            .catch((e: unknown) => {
              failure ??= e;
            })
            .finally(() => {
              active--;
              pump();
            });
        }
        if (active === 0 && (queue.length === 0 || failure !== undefined)) resolve();
      };
      pump();
    });
    if (failure !== undefined) throw failure;
    out.records.sort((a, b) => (a.granuleId < b.granuleId ? -1 : a.granuleId > b.granuleId ? 1 : 0));
    out.problems.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
    return out;
  }
}
