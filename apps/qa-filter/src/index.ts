// qa-filter: its handlers (it needs nothing kept between messages), and the service as its process runs it.
import { SUBJECTS } from '@hls/contracts';
import type { ServiceHandlers, ServiceInstance } from '@hls/runtime';
import { handleChipClipped } from './handler.ts';

export function createQaFilterHandlers(): ServiceHandlers {
  return { [SUBJECTS.chipClipped]: handleChipClipped };
}

export function createService(): ServiceInstance {
  return { def: { name: 'qa-filter', handlers: createQaFilterHandlers() }, stop: async () => {} };
}
