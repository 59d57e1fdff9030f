// dataset-analytics: counts the run's terminal chips and asks the ledger whether the run is complete
// (hls.run.completed, once); on hls.run.completed it builds the dataset from the run's own chips,
// publishes hls.dataset.built and records the run finished.
import { SUBJECTS, type EventOf } from '@hls/contracts';
import type { ChipTerminalState } from '@hls/contracts';
import type { Handler, ServiceContext, ServiceHandlers, ServiceInstance } from '@hls/runtime';
import { publishDataset } from './handler.ts';

type Terminal = EventOf<'hls.chip.accepted'> | EventOf<'hls.chip.rejected'> | EventOf<'hls.chip.failed'>;

async function onTerminal(state: ChipTerminalState, ev: Terminal, ctx: ServiceContext): Promise<void> {
  const { runId, chipId } = ev;
  const reason = 'reason' in ev ? ev.reason : undefined;
  const outcome = await ctx.ledger.recordChipTerminal(runId, chipId, { state, ...(ev.tileId ? { tileId: ev.tileId } : {}), ...(reason ? { reason } : {}) });
  if (outcome === 'conflict') ctx.log.error({ chipId, state }, `chip ${chipId} already has another terminal state; this ${state} event is not counted`);
  if ((await ctx.ledger.completeRunWhenDone(runId, chipId, ctx.publish)) === 'completed') ctx.log.info(`run ${runId}: every chip is terminal`);
}

const terminal =
  <S extends 'hls.chip.accepted' | 'hls.chip.rejected' | 'hls.chip.failed'>(state: ChipTerminalState): Handler<S> =>
  (ev, ctx) =>
    onTerminal(state, ev as Terminal, ctx);

export function createDatasetAnalyticsHandlers(): ServiceHandlers {
  return {
    [SUBJECTS.chipAccepted]: terminal('accepted'),
    [SUBJECTS.chipRejected]: terminal('rejected'),
    [SUBJECTS.chipFailed]: terminal('failed'),
    [SUBJECTS.runCompleted]: async (ev, ctx) => {
      // Already finished (a redelivery, or a replay to a consumer created after the run): nothing to redo.
      if ((await ctx.ledger.runEnd(ev.runId)).finished) return;
      ctx.log.info({ counts: ev.counts }, `run ${ev.runId}: building the dataset`);
      await publishDataset(ev.runId, ctx, ev.counts);
    },
  };
}

export function createService(): ServiceInstance {
  return { def: { name: 'dataset-analytics', handlers: createDatasetAnalyticsHandlers() }, stop: async () => {} };
}
