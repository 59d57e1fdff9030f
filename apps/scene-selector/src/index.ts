// scene-selector: its handlers (it needs nothing kept between messages), and the service as its process runs it.
import { SUBJECTS } from '@hls/contracts';
import type { ServiceHandlers, ServiceInstance } from '@hls/runtime';
import { handleTileSearched } from './handler.ts';

export function createSceneSelectorHandlers(): ServiceHandlers {
  return { [SUBJECTS.tileSearched]: handleTileSearched };
}

export function createService(): ServiceInstance {
  return { def: { name: 'scene-selector', handlers: createSceneSelectorHandlers() }, stop: async () => {} };
}
