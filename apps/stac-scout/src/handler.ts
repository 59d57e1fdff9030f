// stac-scout: hls.tile.requested -> search the run's scene source for the tile -> read each item's
// metadata (the .cmr.xml when the search result lacks coverage) -> hls.tile.searched with every readable
// scene and, named, the documents that could not be read. Deterministic message id per (run, tile).
import { Limiter } from '@hls/common';
import { SUBJECTS, messageId } from '@hls/contracts';
import { PermanentError, withContext } from '@hls/runtime';
import type { Handler } from '@hls/runtime';
import { findScenes, loadCidMappingFile, sceneSourceFor, tileSearchParams } from '@hls/stac';
import type { CidMapping, SceneSource } from '@hls/stac';

export interface StacScoutDeps {
  /** The limiter of `async_concurrency_limit`, shared by every tile this service searches at once. */
  limiter(limit: number): Limiter;
  /** A filename -> CID mapping file, read once. */
  cidMapping(path: string): Promise<CidMapping>;
}

/** Limiters and mapping files kept by one service instance. */
export function stacScoutDeps(): StacScoutDeps {
  const limiters = new Map<number, Limiter>();
  const mappings = new Map<string, Promise<CidMapping>>();
  return {
    limiter(limit) {
      let l = limiters.get(limit);
      if (!l) limiters.set(limit, (l = new Limiter(limit)));
      return l;
    },
    cidMapping(path) {
      let m = mappings.get(path);
      if (!m) {
        m = loadCidMappingFile(path);
        m.catch(() => mappings.delete(path));
        mappings.set(path, m);
      }
      return m;
    },
  };
}

export const tileRequestedHandler = (deps: StacScoutDeps): Handler<'hls.tile.requested'> => async (event, ctx) => {
  const { runId, tileId, chipIds, searchGeometry, chipAreas } = event;
  ctx.annotate({ runId, tileId });
  const { config } = await ctx.run(runId);
  let source: SceneSource;
  try {
    source = sceneSourceFor(config, { signal: ctx.signal, limiter: deps.limiter(config.cmr_stac_params.async_concurrency_limit) });
  } catch (e) {
    throw withContext(`tile ${tileId}`, e);
  }
  let mapping: CidMapping | undefined;
  if (config.stac.cid_mapping_file) {
    try {
      mapping = await deps.cidMapping(config.stac.cid_mapping_file);
    } catch (e) {
      throw new PermanentError(`tile ${tileId}: CID mapping ${config.stac.cid_mapping_file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  const params = tileSearchParams(config, searchGeometry);
  let found;
  try {
    ctx.working();
    found = await findScenes(source, params, { tileId, ...(mapping ? { cidMapping: mapping } : {}), ...(chipAreas ? { chipAreas } : {}) });
  } catch (e) {
    // A StacSourceError says whether it may pass; an unreadable document (MetadataError) will not.
    throw withContext(`tile ${tileId}: scene search on ${source.name} failed`, e);
  }
  for (const p of found.problems) ctx.log.warn({ tileId, granuleId: p.granuleId, source: p.source }, `unreadable scene metadata: ${p.message}`);
  ctx.log.info({ tileId, scenes: found.scenes.length, problems: found.problems.length, otherTiles: found.otherTiles, outsideChips: found.outsideChips }, 'scenes found');
  await ctx.publish(
    SUBJECTS.tileSearched,
    { runId, tileId, chipIds, scenes: found.scenes, problems: found.problems },
    messageId(SUBJECTS.tileSearched, runId, tileId),
  );
};
