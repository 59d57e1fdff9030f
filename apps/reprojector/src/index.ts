// reprojector: its handlers made from their dependencies (the warp worker pool), and the service as its
// process runs it (createService), with the pool it made closed by stop().
import { SUBJECTS, messageId, type Config } from '@hls/contracts';
import { reprojectThreads } from '@hls/raster';
import { sceneRefs } from '@hls/ledger';
import { TransientError, type ServiceHandlers, type ServiceInstance } from '@hls/runtime';
import { activeTraceparent, hlsAttributes, linkToTraceparent, withSpan, type Link } from '@hls/telemetry';
import { bandFetchedHandler, lazyReprojectPool, type ReprojectorDeps } from './handler.ts';

export { lazyReprojectPool, resamplingFor, type ReprojectorDeps } from './handler.ts';

export function createReprojectorHandlers(deps: ReprojectorDeps): ServiceHandlers {
  const handleBandFetched = bandFetchedHandler(deps);
  return {
    [SUBJECTS.bandFetched]: async (ev, ctx) => {
      await handleBandFetched(ev, ctx);
      // The band that completes the tile's 21 publishes hls.tile.reprojected, exactly once across replicas.
      // This band's span is kept so the tile-ready fan-in can link it.
      const { mustPublish, have } = await ctx.ledger.addReprojectedBand(ev.runId, ev.tileId, ev.granuleId, ev.band, activeTraceparent());
      ctx.log.debug({ have }, 'tile band progress');
      if (!mustPublish) return;
      const tile = await ctx.ledger.tile(ev.runId, ev.tileId);
      if (!tile?.granuleIds) throw new TransientError(`tile ${ev.tileId} of run ${ev.runId}: the ledger has no selected granules of it`);
      if (!tile.chips) throw new TransientError(`tile ${ev.tileId} of run ${ev.runId}: the ledger has no chip boxes of it`);
      // The tile's 21 bands join here: one span linking every band's span (3 scenes' fetches), parent of
      // hls.tile.reprojected, so each chip's trace reaches all of its scenes and not only this last band's.
      const links = Object.entries(await ctx.ledger.bandTraceparents(ev.runId, ev.tileId))
        .map(([band, tp]) => linkToTraceparent(tp, { 'hls.band': band }))
        .filter((l): l is Link => l !== undefined);
      const ids = { runId: ev.runId, tileId: ev.tileId, chipIds: tile.chipIds };
      const { chips, granuleIds } = tile;
      await withSpan(`join tile ${ev.tileId}`, { links, attributes: { ...hlsAttributes(ids), 'hls.stage': 'reproject', 'hls.bands_linked': links.length } }, () =>
        ctx.publish(
          SUBJECTS.tileReprojected,
          { runId: ev.runId, tileId: ev.tileId, chipIds: tile.chipIds, chips, scenes: sceneRefs(granuleIds) },
          messageId(SUBJECTS.tileReprojected, ev.runId, ev.tileId),
        ),
      );
      await ctx.ledger.markTileReadyPublished(ev.runId, ev.tileId);
    },
  };
}

/**
 * Bands handled at once when the config does not say (`services.reprojector.concurrency`): two per warp thread,
 * so each thread has its next band queued while the last one is published and the next pulled.
 */
export const reprojectorConcurrency = (config: Config): number => 2 * reprojectThreads(config.reproject.workers);

/** The reprojector with its own worker pool, its threads started at once; stop() closes the pool. */
export function createService(): ServiceInstance {
  const pool = lazyReprojectPool();
  pool.warm();
  return { def: { name: 'reprojector', handlers: createReprojectorHandlers({ pool: pool.pool }), defaultConcurrency: reprojectorConcurrency }, stop: pool.close };
}
