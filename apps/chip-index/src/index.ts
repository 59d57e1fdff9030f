import { SUBJECTS, kvKey } from '@hls/contracts';
import type { ServiceDefinition } from '@hls/runtime';
import { handleRunRequested } from './handler.ts';

export const service: ServiceDefinition = {
  name: 'chip-index',
  handlers: {
    [SUBJECTS.runRequested]: async (ev, ctx) => {
      // Keep the run's request in KV first: every later service reads its config from there.
      await ctx.kv.runs.create(kvKey(ev.runId, 'spec'), ev);
      await handleRunRequested(ev, ctx);
    },
  },
};
export const stopService = async (): Promise<void> => {};
