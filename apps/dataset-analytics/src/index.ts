// dataset-analytics: counts the run's terminal chips and asks the ledger whether the run is complete
// (hls.run.completed, once); on hls.run.completed it builds the dataset from the run's own chips,
// publishes hls.dataset.ready and records the run finished.
import { SUBJECTS, type EventOf } from '@hls/contracts';
import {
  bumpCount,
  completeRunWhenDone,
  readRunEnd,
  recordChipTerminal,
  recountChips,
  setCounts,
  type ChipTerminal,
  type Handler,
  type ServiceContext,
  type ServiceHandlers,
  type ServiceInstance,
} from '@hls/runtime';
import { publishDataset } from './handler.ts';

type Terminal = EventOf<'hls.chip.accepted'> | EventOf<'hls.chip.rejected'> | EventOf<'hls.chip.failed'>;

async function onTerminal(state: ChipTerminal, ev: Terminal, ctx: ServiceContext): Promise<void> {
  const { runId, chipId } = ev;
  const reason = 'reason' in ev ? ev.reason : undefined;
  const outcome = await recordChipTerminal(ctx.kv.chips, runId, chipId, {
    state,
    ...(ev.tileId ? { tileId: ev.tileId } : {}),
    ...(reason ? { reason } : {}),
    at: new Date().toISOString(),
  });
  if (outcome === 'conflict') ctx.log.error({ chipId, state }, `chip ${chipId} already has another terminal state; this ${state} event is not counted`);
  // A repeat (redelivery after a crash, duplicate) may have missed its count: recount exactly.
  if (outcome === 'new') await bumpCount(ctx.kv.chips, runId, state);
  else await setCounts(ctx.kv.chips, runId, await recountChips(ctx.kv.chips, runId));
  await completeRunWhenDone(ctx, runId, chipId);
}

const terminal =
  <S extends 'hls.chip.accepted' | 'hls.chip.rejected' | 'hls.chip.failed'>(state: ChipTerminal): Handler<S> =>
  (ev, ctx) =>
    onTerminal(state, ev as Terminal, ctx);

export function createDatasetAnalyticsHandlers(): ServiceHandlers {
  return {
    [SUBJECTS.chipAccepted]: terminal('accepted'),
    [SUBJECTS.chipRejected]: terminal('rejected'),
    [SUBJECTS.chipFailed]: terminal('failed'),
    [SUBJECTS.runCompleted]: async (ev, ctx) => {
      // Already finished (a redelivery, or a replay to a consumer created after the run): nothing to redo.
      if ((await readRunEnd(ctx.kv.runs, ev.runId)).finished) return;
      ctx.log.info({ counts: ev.counts }, `run ${ev.runId}: building the dataset`);
      await publishDataset(ev.runId, ctx, ev.counts);
    },
  };
}

export function createService(): ServiceInstance {
  return { def: { name: 'dataset-analytics', handlers: createDatasetAnalyticsHandlers() }, stop: async () => {} };
}
