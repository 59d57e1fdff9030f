// The scene source and search a run's config describes (`stac`, `cmr_stac_params`, `search`), shared
// by the stac-scout service and the `hls-chips scenes` commands.
import type { AreaGeometry, Config } from '@hls/contracts';
import { cmrStacUrl, StacApiSource } from './api-source.ts';
import { StaticCatalogSource } from './catalog-source.ts';
import { readCidMappingFile } from './cids.ts';
import type { CidMapping } from './cids.ts';
import { GranuleDirectorySource } from './granule-dir.ts';
import { HlsError, Limiter } from '@hls/common';
import { earthdataAuthFromEnv } from './earthdata.ts';
import type { HttpOptions } from './http.ts';
import { datetimeInterval } from './source.ts';
import type { SceneSource, SearchParams } from './source.ts';

/** The config names a source it cannot build (a catalog without url/path, a directory without path). */
export class SourceConfigError extends HlsError {
  constructor(message: string) {
    super('source-config', message, { retryable: false });
  }
}

/**
 * The scene source of a config. `limiter` bounds its requests (`async_concurrency_limit`); a service passes
 * the one it shares across all the tiles it works on at once, otherwise the source gets its own.
 */
export function sceneSourceFor(config: Config, opts: Pick<HttpOptions, 'signal' | 'onEvent' | 'limiter'> = {}): SceneSource {
  const { stac, cmr_stac_params: cmr } = config;
  const http: HttpOptions = {
    limiter: new Limiter(cmr.async_concurrency_limit),
    timeoutMs: stac.timeout_ms,
    retries: stac.retries,
    ...earthdataAuthFromEnv(),
    authHosts: config.earthdata.auth_hosts,
    ...opts,
  };
  switch (stac.type) {
    case 'api':
      return new StacApiSource(stac.url ?? cmrStacUrl(cmr), http);
    case 'catalog': {
      const where = stac.url ?? stac.path;
      if (!where) throw new SourceConfigError('config stac.type is "catalog" but neither stac.url nor stac.path is set');
      return new StaticCatalogSource(where, http);
    }
    case 'directory':
      if (!stac.path) throw new SourceConfigError('config stac.type is "directory" but stac.path is not set');
      return new GranuleDirectorySource(stac.path);
  }
}

/** The search of one tile: the configured collection, the season, the tile's geometry. */
export function tileSearchParams(config: Config, intersects?: AreaGeometry): SearchParams {
  return {
    collections: [config.cmr_stac_params.stac_collection_id],
    ...(intersects ? { intersects } : {}),
    datetime: datetimeInterval(config.search.from, config.search.to),
    limit: config.stac.page_limit,
  };
}

/** Read a filename -> CID mapping file (a service keeps what it read: see stac-scout's deps). */
export function loadCidMappingFile(path: string): Promise<CidMapping> {
  return readCidMappingFile(path);
}
