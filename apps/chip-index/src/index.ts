// chip-index: its handlers (it needs nothing kept between messages), and the service as its process runs it.
import { SUBJECTS, kvKey } from '@hls/contracts';
import type { ServiceHandlers, ServiceInstance } from '@hls/runtime';
import { handleRunRequested } from './handler.ts';

export function createChipIndexHandlers(): ServiceHandlers {
  return {
    [SUBJECTS.runRequested]: async (ev, ctx) => {
      // Keep the run's request in KV first: every later service reads its config from there.
      await ctx.kv.runs.create(kvKey(ev.runId, 'spec'), ev);
      await handleRunRequested(ev, ctx);
    },
  };
}

export function createService(): ServiceInstance {
  return { def: { name: 'chip-index', handlers: createChipIndexHandlers() }, stop: async () => {} };
}
