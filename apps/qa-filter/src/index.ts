import { SUBJECTS } from '@hls/contracts';
import type { ServiceDefinition } from '@hls/runtime';
import { handleChipClipped } from './handler.ts';

export const service: ServiceDefinition = {
  name: 'qa-filter',
  handlers: { [SUBJECTS.chipClipped]: handleChipClipped },
};
export const stopService = async (): Promise<void> => {};
