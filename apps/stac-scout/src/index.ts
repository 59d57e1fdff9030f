import { SUBJECTS } from '@hls/contracts';
import type { ServiceDefinition } from '@hls/runtime';
import { handleTileRequested } from './handler.ts';

export const service: ServiceDefinition = {
  name: 'stac-scout',
  handlers: {
    [SUBJECTS.tileRequested]: handleTileRequested,
  },
};
export const stopService = async (): Promise<void> => {};
