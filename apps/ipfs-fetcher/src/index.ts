import { SUBJECTS } from '@hls/contracts';
import type { ServiceDefinition } from '@hls/runtime';
import { closeFetchers, handleSceneSelected } from './handler.ts';

export const service: ServiceDefinition = {
  name: 'ipfs-fetcher',
  handlers: {
    [SUBJECTS.sceneSelected]: handleSceneSelected,
  },
};
export const stopService = closeFetchers;
