import { SUBJECTS } from '@hls/contracts';
import { updateTile, type ServiceDefinition } from '@hls/runtime';
import { handleTileRequested } from './handler.ts';

export const service: ServiceDefinition = {
  name: 'stac-scout',
  handlers: {
    [SUBJECTS.tileRequested]: async (ev, ctx) => {
      // The tile's chips are kept in KV so a failure of any later tile-level step can fail them.
      await updateTile(ctx.kv.tiles, ev.runId, ev.tileId, { chipIds: ev.chipIds, stage: 'requested' });
      await handleTileRequested(ev, ctx);
      await updateTile(ctx.kv.tiles, ev.runId, ev.tileId, { stage: 'scenes-found' });
    },
  },
};
export const stopService = async (): Promise<void> => {};
