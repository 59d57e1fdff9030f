// stac-scout: its handlers made from their dependencies (the request limiter, CID mapping files read once),
// and the service as its process runs it (createService).
import { SUBJECTS } from '@hls/contracts';
import { updateTile, type ServiceHandlers, type ServiceInstance } from '@hls/runtime';
import { stacScoutDeps, tileRequestedHandler, type StacScoutDeps } from './handler.ts';

export { stacScoutDeps, type StacScoutDeps } from './handler.ts';

export function createStacScoutHandlers(deps: StacScoutDeps): ServiceHandlers {
  const handleTileRequested = tileRequestedHandler(deps);
  return {
    [SUBJECTS.tileRequested]: async (ev, ctx) => {
      // The tile's chips are kept in KV so a failure of any later tile-level step can fail them.
      await updateTile(ctx.kv.tiles, ev.runId, ev.tileId, { chipIds: ev.chipIds, stage: 'requested' });
      await handleTileRequested(ev, ctx);
      await updateTile(ctx.kv.tiles, ev.runId, ev.tileId, { stage: 'scenes-found' });
    },
  };
}

/** The stac-scout with its own limiters and mapping cache; nothing to close. */
export function createService(): ServiceInstance {
  return { def: { name: 'stac-scout', handlers: createStacScoutHandlers(stacScoutDeps()) }, stop: async () => {} };
}
