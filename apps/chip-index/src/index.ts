// chip-index: its handlers (it needs nothing kept between messages), and the service as its process runs it.
import { SUBJECTS } from '@hls/contracts';
import type { ServiceHandlers, ServiceInstance } from '@hls/runtime';
import { handleRunRequested } from './handler.ts';

export function createChipIndexHandlers(): ServiceHandlers {
  return {
    [SUBJECTS.runRequested]: async (ev, ctx) => {
      // Keep the run's request in the ledger first: every later service reads its config from there.
      await ctx.ledger.recordRunRequested(ev);
      await handleRunRequested(ev, ctx);
    },
  };
}

export function createService(): ServiceInstance {
  return { def: { name: 'chip-index', handlers: createChipIndexHandlers() }, stop: async () => {} };
}
