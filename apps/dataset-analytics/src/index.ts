// dataset-analytics: counts the run's terminal chips; the event that makes the count complete
// publishes hls.run.completed, builds the dataset and publishes hls.dataset.ready.
import { SUBJECTS, messageId, type EventOf } from '@hls/contracts';
import {
  bumpCount,
  claimCompletion,
  markCompletionDone,
  recordChipTerminal,
  recountChips,
  setCounts,
  total,
  type ChipTerminal,
  type Handler,
  type ServiceContext,
  type ServiceDefinition,
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
  const counts = outcome === 'new' ? await bumpCount(ctx.kv.chips, runId, state) : await recountChips(ctx.kv.chips, runId);
  if (outcome !== 'new') await setCounts(ctx.kv.chips, runId, counts);
  const run = (await ctx.kv.runs.get(runId))?.value as { expectedChips?: number } | undefined;
  const expected = run?.expectedChips;
  if (expected === undefined || total(counts) < expected) return;
  const exact = await recountChips(ctx.kv.chips, runId);
  if (total(exact) < expected) return;
  const claim = await claimCompletion(ctx.kv.chips, runId, chipId);
  if (claim !== 'claimed') return;
  await ctx.publish(SUBJECTS.runCompleted, { runId, expected, counts: exact }, messageId(SUBJECTS.runCompleted, runId));
  ctx.log.info({ counts: exact }, `run ${runId}: every chip is terminal, building the dataset`);
  await publishDataset(runId, ctx);
  await markCompletionDone(ctx.kv.chips, runId);
}

const terminal =
  <S extends 'hls.chip.accepted' | 'hls.chip.rejected' | 'hls.chip.failed'>(state: ChipTerminal): Handler<S> =>
  (ev, ctx) =>
    onTerminal(state, ev as Terminal, ctx);

export const service: ServiceDefinition = {
  name: 'dataset-analytics',
  handlers: {
    [SUBJECTS.chipAccepted]: terminal('accepted'),
    [SUBJECTS.chipRejected]: terminal('rejected'),
    [SUBJECTS.chipFailed]: terminal('failed'),
  },
};
export const stopService = async (): Promise<void> => {};
