// The ordered band sources of a run (`band_sources`): each band is asked of each source in turn until one
// serves it verified. A band no source can serve is a domain outcome (the tile fails, naming the band and
// every source's reason); a source failing transiently (no IPFS backend reachable, 5xx, 429, timeouts)
// when none served the band makes the whole answer transient, so the scene is retried, not failed.
import { join } from 'node:path';
import { bandSourcesOf, granuleFoldersOf, tileBandPath, type BandAsset, type BandSourceName, type Config, type GranuleId } from '@hls/contracts';
import { createFetcher, type Fetcher, type IpfsSettings } from '@hls/ipfs';
import { earthdataAuthFromEnv, type EarthdataAuth } from '@hls/stac';
import { BandSourceError, errorMessage } from './errors.ts';
import { HttpsBandSource, type HttpsSettings } from './https.ts';
import { ipfsBandError, openIpfsRanged } from './ipfs-ranged.ts';
import { localBand } from './local.ts';
import { openLocalRanged } from './local-ranged.ts';
import type { RangedBand } from './ranged.ts';

export interface BandSourceSettings {
  order: readonly BandSourceName[];
  ipfs: IpfsSettings;
  https: HttpsSettings;
  /** Granule folders for the local source. */
  localDirs: readonly string[];
  auth: EarthdataAuth;
}

/** The band source settings a run's config describes (credentials from the environment). */
export function bandSourceSettings(config: Config, env: NodeJS.ProcessEnv = process.env): BandSourceSettings {
  const e = config.earthdata;
  return {
    order: bandSourcesOf(config),
    ipfs: config.ipfs,
    https: { authHosts: e.auth_hosts, timeoutMs: e.timeout_ms, retries: e.retries, concurrency: e.concurrency },
    localDirs: granuleFoldersOf(config),
    auth: earthdataAuthFromEnv(env),
  };
}

export interface BandRequest {
  granuleId: GranuleId;
  asset: BandAsset;
  /** The dataset directory: downloads go to `tiles/<granule>/<file>` under it. */
  datasetDir: string;
  signal?: AbortSignal;
  /** Bytes in place so far, and the file size once known. */
  onProgress?: (bytes: number, total: number | undefined) => void;
}

export type BandOutcome =
  | { ok: true; source: BandSourceName; path: string; bytes: number; reused: boolean; cid?: string }
  | { ok: false; retryable: boolean; tried: Array<{ source: BandSourceName; error: string; retryable: boolean }> };

export type RangedOutcome =
  | { ok: true; band: RangedBand }
  | { ok: false; retryable: boolean; tried: Array<{ source: BandSourceName; error: string; retryable: boolean }> };

export class BandSources {
  readonly order: readonly BandSourceName[];
  readonly #s: BandSourceSettings;
  #ipfs: Promise<Fetcher> | undefined;
  #https: HttpsBandSource | undefined;

  constructor(settings: BandSourceSettings) {
    this.#s = settings;
    this.order = settings.order;
  }

  get https(): HttpsBandSource {
    return (this.#https ??= new HttpsBandSource(this.#s.auth, this.#s.https));
  }

  ipfsFetcher(): Promise<Fetcher> {
    if (!this.#ipfs) {
      this.#ipfs = createFetcher(this.#s.ipfs);
      this.#ipfs.catch(() => (this.#ipfs = undefined));
    }
    return this.#ipfs;
  }

  /** Ask each source in order; the first verified band wins. */
  async fetch(req: BandRequest): Promise<BandOutcome> {
    const tried: Array<{ source: BandSourceName; error: string; retryable: boolean }> = [];
    for (const source of this.order) {
      try {
        return { ok: true, source, ...(await this.#from(source, req)) };
      } catch (e) {
        if (req.signal?.aborted) throw e;
        if (!(e instanceof BandSourceError)) throw e;
        tried.push({ source, error: e.message, retryable: e.retryable });
      }
    }
    return { ok: false, retryable: tried.some((t) => t.retryable), tried };
  }

  async #from(source: BandSourceName, req: BandRequest): Promise<{ path: string; bytes: number; reused: boolean; cid?: string }> {
    const { granuleId, asset } = req;
    const out = join(req.datasetDir, tileBandPath(granuleId, asset.band));
    switch (source) {
      case 'local': {
        const b = await localBand(granuleId, asset, this.#s.localDirs);
        req.onProgress?.(b.bytes, b.bytes);
        return { path: b.path, bytes: b.bytes, reused: true };
      }
      case 'https': {
        const r = await this.https.fetchToFile(asset, out, { signal: req.signal, onProgress: (bytes, total) => req.onProgress?.(bytes, total) });
        return { path: r.path, bytes: r.bytes, reused: r.reused };
      }
      case 'ipfs': {
        if (!asset.cid) throw new BandSourceError('ipfs', `${asset.filename}: the scene lists no CID for it`);
        const fetcher = await this.#startedFetcher();
        try {
          const r = await fetcher.fetchToFile(asset.cid, out, {
            context: { granule: granuleId, band: asset.band },
            signal: req.signal,
            onProgress: (p) => req.onProgress?.(p.bytes, p.total),
          });
          return { path: r.path, bytes: r.bytes, reused: r.reused, cid: r.cid };
        } catch (e) {
          if (req.signal?.aborted) throw e;
          throw ipfsBandError(e, asset.cid);
        }
      }
    }
  }

  /**
   * Open the band for ranged reads: each source in order, the first that can open it wins (the same
   * fallback as `fetch`, and the same outcome when none can). Nothing is downloaded whole.
   */
  async openRanged(req: BandRequest): Promise<RangedOutcome> {
    const tried: Array<{ source: BandSourceName; error: string; retryable: boolean }> = [];
    for (const source of this.order) {
      try {
        return { ok: true, band: await this.#openRanged(source, req) };
      } catch (e) {
        if (req.signal?.aborted) throw e;
        if (!(e instanceof BandSourceError)) throw e;
        tried.push({ source, error: e.message, retryable: e.retryable });
      }
    }
    return { ok: false, retryable: tried.some((t) => t.retryable), tried };
  }

  async #openRanged(source: BandSourceName, req: BandRequest): Promise<RangedBand> {
    const { granuleId, asset } = req;
    switch (source) {
      case 'local':
        return openLocalRanged((await localBand(granuleId, asset, this.#s.localDirs)).path);
      case 'https':
        return this.https.openRanged(asset, req.signal);
      case 'ipfs': {
        if (!asset.cid) throw new BandSourceError('ipfs', `${asset.filename}: the scene lists no CID for it`);
        return openIpfsRanged(await this.#startedFetcher(), granuleId, asset, req.signal);
      }
    }
  }

  async #startedFetcher(): Promise<Fetcher> {
    try {
      return await this.ipfsFetcher();
    } catch (e) {
      throw new BandSourceError('ipfs', `cannot start the IPFS backends: ${errorMessage(e)}`, { retryable: true, cause: e });
    }
  }

  async close(): Promise<void> {
    const f = this.#ipfs;
    this.#ipfs = undefined;
    if (f) await (await f).close().catch(() => undefined);
  }
}

/** The failure reason of a band no source could serve: names the band and the sources tried. */
export const bandUnavailableReason = (band: string, tried: ReadonlyArray<{ source: string }>): string =>
  `band-unavailable: ${band} (tried ${tried.map((t) => t.source).join(', ') || 'no source'})`;
