// stac-scout: hls.tile.requested -> search the run's scene source for the tile -> read each item's
// metadata (the .cmr.xml when the search result lacks coverage) -> hls.tile.scenes with every readable
// scene and, named, the documents that could not be read. Deterministic message id per (run, tile).
import { SUBJECTS, messageId } from '@hls/contracts';
import { PermanentError, TransientError } from '@hls/runtime';
import type { Handler } from '@hls/runtime';
import { MetadataError, SourceConfigError, StacSourceError, findScenes, loadCidMappingFile, sceneSourceFor, tileSearchParams } from '@hls/stac';
import type { CidMapping, SceneSource } from '@hls/stac';

export const handleTileRequested: Handler<'hls.tile.requested'> = async (event, ctx) => {
  const { runId, tileId, chipIds, searchGeometry, chipAreas } = event;
  ctx.annotate({ runId, tileId });
  const { config } = await ctx.run(runId);
  let source: SceneSource;
  try {
    source = sceneSourceFor(config, { signal: ctx.signal });
  } catch (e) {
    if (e instanceof SourceConfigError) throw new PermanentError(`tile ${tileId}: ${e.message}`, { cause: e });
    throw e;
  }
  let mapping: CidMapping | undefined;
  if (config.stac.cid_mapping_file) {
    try {
      mapping = await loadCidMappingFile(config.stac.cid_mapping_file);
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
    const msg = `tile ${tileId}: scene search on ${source.name} failed: ${e instanceof Error ? e.message : String(e)}`;
    if (e instanceof StacSourceError && !e.retryable) throw new PermanentError(msg, { cause: e });
    if (e instanceof MetadataError) throw new PermanentError(msg, { cause: e });
    throw new TransientError(msg, { cause: e });
  }
  for (const p of found.problems) ctx.log.warn({ tileId, granuleId: p.granuleId, source: p.source }, `unreadable scene metadata: ${p.message}`);
  ctx.log.info({ tileId, scenes: found.scenes.length, problems: found.problems.length, otherTiles: found.otherTiles, outsideChips: found.outsideChips }, 'scenes found');
  await ctx.publish(
    SUBJECTS.tileScenes,
    { runId, tileId, chipIds, scenes: found.scenes, problems: found.problems },
    messageId(SUBJECTS.tileScenes, runId, tileId),
  );
};
