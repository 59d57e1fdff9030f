import { SUBJECTS, messageId } from '@hls/contracts';
import { TransientError, addReprojectedBand, getTile, markTileReadyPublished, sceneRefs, type ServiceDefinition } from '@hls/runtime';
import { closeReprojectPool, handleBandFetched } from './handler.ts';

export const service: ServiceDefinition = {
  name: 'reprojector',
  handlers: {
    [SUBJECTS.bandFetched]: async (ev, ctx) => {
      await handleBandFetched(ev, ctx);
      // The band that completes the tile's 21 publishes hls.tile.ready, exactly once across replicas.
      const { mustPublish, have } = await addReprojectedBand(ctx.kv.tiles, ev.runId, ev.tileId, ev.granuleId, ev.band);
      ctx.log.debug({ have }, 'tile band progress');
      if (!mustPublish) return;
      const tile = await getTile(ctx.kv.tiles, ev.runId, ev.tileId);
      if (!tile?.granuleIds) throw new TransientError(`tile ${ev.tileId} of run ${ev.runId}: no selected granules in KV`);
      await ctx.publish(
        SUBJECTS.tileReady,
        { runId: ev.runId, tileId: ev.tileId, chipIds: tile.chipIds, scenes: sceneRefs(tile.granuleIds) },
        messageId(SUBJECTS.tileReady, ev.runId, ev.tileId),
      );
      await markTileReadyPublished(ctx.kv.tiles, ev.runId, ev.tileId);
    },
  },
};
export const stopService = closeReprojectPool;
