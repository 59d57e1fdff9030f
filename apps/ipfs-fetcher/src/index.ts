import { SUBJECTS } from '@hls/contracts';
import { updateTile, type ServiceDefinition } from '@hls/runtime';
import { closeFetchers, handleSceneSelected } from './handler.ts';

export const service: ServiceDefinition = {
  name: 'ipfs-fetcher',
  handlers: {
    [SUBJECTS.sceneSelected]: async (ev, ctx) => {
      // The reprojector decides tile readiness against these 3 granules.
      await updateTile(ctx.kv.tiles, ev.runId, ev.tileId, { chipIds: ev.chipIds, granuleIds: ev.granuleIds, stage: 'selected' });
      await handleSceneSelected(ev, ctx);
    },
  },
};
export const stopService = closeFetchers;
