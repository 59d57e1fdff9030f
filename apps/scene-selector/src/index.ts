import { SUBJECTS } from '@hls/contracts';
import type { ServiceDefinition } from '@hls/runtime';
import { handleTileScenes } from './handler.ts';

export const service: ServiceDefinition = {
  name: 'scene-selector',
  handlers: { [SUBJECTS.tileScenes]: handleTileScenes },
};
export const stopService = async (): Promise<void> => {};
