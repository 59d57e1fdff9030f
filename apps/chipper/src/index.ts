import { SUBJECTS } from '@hls/contracts';
import type { ServiceDefinition } from '@hls/runtime';
import { handleChipClip, handleTileReady } from './handler.ts';

export const service: ServiceDefinition = {
  name: 'chipper',
  handlers: { [SUBJECTS.tileReady]: handleTileReady, [SUBJECTS.chipClip]: handleChipClip },
};
export const stopService = async (): Promise<void> => {};
