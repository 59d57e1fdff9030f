import { SUBJECTS } from '@hls/contracts';
import type { ServiceDefinition } from '@hls/runtime';
import { handleRunRequested } from './handler.ts';

export const service: ServiceDefinition = {
  name: 'chip-index',
  handlers: {
    [SUBJECTS.runRequested]: async (ev, ctx) => {
      // Keep the run's request in the ledger first: every later service reads its config from there.
      await ctx.ledger.recordRunRequested(ev);
      await handleRunRequested(ev, ctx);
    },
  },
};
export const stopService = async (): Promise<void> => {};
