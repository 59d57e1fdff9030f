// chipper: its handlers made from their dependencies (the reclass table cache), and the
// service as its process runs it (createService).
import { SUBJECTS } from '@hls/contracts';
import type { ServiceHandlers, ServiceInstance } from '@hls/runtime';
import { chipClipHandler, chipperCaches, handleTileReprojected, type ChipperDeps } from './handler.ts';

export { TileRasters, chipperCaches, type ChipperDeps } from './handler.ts';

export function createChipperHandlers(deps: ChipperDeps): ServiceHandlers {
  return { [SUBJECTS.tileReprojected]: handleTileReprojected, [SUBJECTS.chipClip]: chipClipHandler(deps) };
}

/** The chipper with its own caches; stop() closes the band files still open. */
export function createService(): ServiceInstance {
  const deps = chipperCaches();
  return { def: { name: 'chipper', handlers: createChipperHandlers(deps) }, stop: () => deps.tileRasters.close() };
}
