// chipper: its handlers made from their dependencies (the reclass table cache, open band files, the clip thread), and the
// service as its process runs it (createService).
import { SUBJECTS } from '@hls/contracts';
import type { ServiceHandlers, ServiceInstance } from '@hls/runtime';
import { chipClipHandler, chipperCaches, chipperConcurrency, closeChipper, handleTileReprojected, type ChipperDeps } from './handler.ts';

export { chipperCaches, chipperConcurrency, closeChipper, type ChipperDeps } from './handler.ts';

export function createChipperHandlers(deps: ChipperDeps): ServiceHandlers {
  return { [SUBJECTS.tileReprojected]: handleTileReprojected, [SUBJECTS.chipClip]: chipClipHandler(deps) };
}

/** The chipper with its own caches and clip thread; stop() closes them. */
export function createService(): ServiceInstance {
  const deps = chipperCaches();
  return { def: { name: 'chipper', handlers: createChipperHandlers(deps), defaultConcurrency: () => chipperConcurrency(deps) }, stop: () => closeChipper(deps) };
}
