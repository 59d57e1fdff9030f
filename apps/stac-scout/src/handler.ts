// stac-scout: hls.tile.requested -> search the run's scene source for the tile -> read each item's
// metadata (the .cmr.xml when the search result lacks coverage) -> hls.tile.scenes with every readable
// scene and, named, the documents that could not be read. Deterministic message id per (run, tile).
import { readFile } from 'node:fs/promises';
import { SUBJECTS, messageId } from '@hls/contracts';
import type { Config } from '@hls/contracts';
import { PermanentError, TransientError } from '@hls/runtime';
import type { Handler } from '@hls/runtime';
import {
  GranuleDirectorySource,
  HttpClient,
  Limiter,
  MetadataError,
  StacApiSource,
  StacSourceError,
  StaticCatalogSource,
  cmrStacUrl,
  datetimeInterval,
  findScenes,
  readCidMapping,
} from '@hls/stac';
import type { CidMapping, HttpOptions, SceneSource } from '@hls/stac';

// One limiter per process and limit: `async_concurrency_limit` bounds every STAC/CMR request this
// replica makes, across all the tiles it handles at once.
const limiters = new Map<number, Limiter>();
function limiterFor(limit: number): Limiter {
  let l = limiters.get(limit);
  if (!l) limiters.set(limit, (l = new Limiter(limit)));
  return l;
}

const mappings = new Map<string, Promise<CidMapping>>();
function cidMapping(path: string): Promise<CidMapping> {
  let m = mappings.get(path);
  if (!m) {
    m = readFile(path, 'utf8').then((t) => readCidMapping(JSON.parse(t) as unknown, path));
    m.catch(() => mappings.delete(path));
    mappings.set(path, m);
  }
  return m;
}

/** The scene source a run's config names (api: CMR-STAC unless stac.url says otherwise). */
export function sourceFor(config: Config, signal?: AbortSignal): SceneSource {
  const { stac, cmr_stac_params: cmr } = config;
  const http: HttpOptions = {
    limiter: limiterFor(cmr.async_concurrency_limit),
    timeoutMs: stac.timeout_ms,
    retries: stac.retries,
    ...HttpClient.envAuth(),
    ...(signal ? { signal } : {}),
  };
  switch (stac.type) {
    case 'api':
      return new StacApiSource(stac.url ?? cmrStacUrl(cmr), http);
    case 'catalog': {
      const where = stac.url ?? stac.path;
      if (!where) throw new PermanentError('config stac.type is "catalog" but neither stac.url nor stac.path is set');
      return new StaticCatalogSource(where, http);
    }
    case 'directory':
      if (!stac.path) throw new PermanentError('config stac.type is "directory" but stac.path is not set');
      return new GranuleDirectorySource(stac.path);
  }
}

export const handleTileRequested: Handler<'hls.tile.requested'> = async (event, ctx) => {
  const { runId, tileId, chipIds, searchGeometry } = event;
  ctx.annotate({ runId, tileId });
  const { config } = await ctx.run(runId);
  const source = sourceFor(config, ctx.signal);
  let mapping: CidMapping | undefined;
  if (config.stac.cid_mapping_file) {
    try {
      mapping = await cidMapping(config.stac.cid_mapping_file);
    } catch (e) {
      throw new PermanentError(`tile ${tileId}: CID mapping ${config.stac.cid_mapping_file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  const params = {
    collections: [config.cmr_stac_params.stac_collection_id],
    intersects: searchGeometry,
    datetime: datetimeInterval(config.search.from, config.search.to),
    limit: config.stac.page_limit,
  };
  let found;
  try {
    ctx.working();
    found = await findScenes(source, params, { tileId, ...(mapping ? { cidMapping: mapping } : {}) });
  } catch (e) {
    const msg = `tile ${tileId}: scene search on ${source.name} failed: ${e instanceof Error ? e.message : String(e)}`;
    if (e instanceof StacSourceError && !e.retryable) throw new PermanentError(msg, { cause: e });
    if (e instanceof MetadataError) throw new PermanentError(msg, { cause: e });
    throw new TransientError(msg, { cause: e });
  }
  for (const p of found.problems) ctx.log.warn({ tileId, granuleId: p.granuleId, source: p.source }, `unreadable scene metadata: ${p.message}`);
  ctx.log.info({ tileId, scenes: found.scenes.length, problems: found.problems.length, otherTiles: found.otherTiles }, 'scenes found');
  await ctx.publish(
    SUBJECTS.tileScenes,
    { runId, tileId, chipIds, scenes: found.scenes, problems: found.problems },
    messageId(SUBJECTS.tileScenes, runId, tileId),
  );
};
