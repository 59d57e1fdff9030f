// How a run ends, in one place: the run-level records of the `hls-runs` bucket (expected chips, failed,
// finished) and the one completion rule (every expected chip terminal -> hls.run.completed, once). The
// services, the runner and `status` read and write a run's end only through here; the run ledger of the
// orchestration redesign grows from this module.
import { kvMutate, type KvStore } from '@hls/bus';
import { SUBJECTS, kvKey, messageId } from '@hls/contracts';
import type { ServiceContext } from './context.ts';
import { recountChips, total, type ChipRecord, type RunCounts } from './run-state.ts';

/** How the run ended, once the dataset step is done (key `<runId>.finished`). */
export interface RunFinished {
  at: string;
  counts: RunCounts;
  train: number;
  val: number;
  /** Dataset files written, relative to the dataset dir. */
  files: string[];
  /** Why the dataset holds no chip (0 accepted), for the summary. */
  empty?: string;
}

/** A run that cannot go on (its request or its completion was dead-lettered): key `<runId>.failed`. */
export interface RunFailed {
  reason: string;
  at: string;
}

/** What the ledger knows of a run's end, for the runner, `status` and the web page. */
export interface RunEnd {
  expected: number | null;
  failed?: RunFailed;
  finished?: RunFinished;
}

const failedKey = (runId: string): string => kvKey(runId, 'failed');
const finishedKey = (runId: string): string => kvKey(runId, 'finished');
const completionKey = (runId: string): string => kvKey(runId, 'completion');

/** Merge fields into the run's record (key `<runId>`), keeping what is there. */
export async function updateRunRecord(runs: KvStore, runId: string, patch: Record<string, unknown>): Promise<void> {
  await kvMutate<Record<string, unknown>>(runs, runId, (prev) => ({ ...(prev ?? {}), ...patch }));
}

/** The number of chips whose terminal events complete the run (set by chip-index before any of them). */
export async function recordExpectedChips(runs: KvStore, runId: string, expectedChips: number, detail: Record<string, unknown> = {}): Promise<void> {
  await updateRunRecord(runs, runId, { ...detail, expectedChips });
}

export async function recordRunFailed(runs: KvStore, runId: string, reason: string): Promise<void> {
  await runs.put(failedKey(runId), { reason, at: new Date().toISOString() } satisfies RunFailed);
}

export async function recordRunFinished(runs: KvStore, runId: string, finished: Omit<RunFinished, 'at'>): Promise<void> {
  await runs.put(finishedKey(runId), { ...finished, at: new Date().toISOString() } satisfies RunFinished);
}

export async function readRunEnd(runs: KvStore, runId: string): Promise<RunEnd> {
  const rec = (await runs.get(runId))?.value as { expectedChips?: number } | undefined;
  const failed = (await runs.get(failedKey(runId)))?.value as RunFailed | undefined;
  const finished = (await runs.get(finishedKey(runId)))?.value as RunFinished | undefined;
  return { expected: typeof rec?.expectedChips === 'number' ? rec.expectedChips : null, ...(failed ? { failed } : {}), ...(finished ? { finished } : {}) };
}

/** Chip ids of the run in one terminal state, sorted (the dataset is built from the run's own chips). */
export async function runChipIds(chips: KvStore, runId: string, state: ChipRecord['state']): Promise<string[]> {
  const out: string[] = [];
  for (const k of await chips.keys(runId)) {
    const parts = k.split('.');
    if (parts.length !== 2) continue;
    const r = (await chips.get(k))?.value as ChipRecord | undefined;
    if (r?.state === state) out.push(parts[1] as string);
  }
  return out.sort();
}

/**
 * The completion rule: when every expected chip of the run is terminal (0 expected included), publish
 * hls.run.completed. A create-only claim lets exactly one caller publish; the claimer's own redelivery
 * publishes again (same message id, so JetStream drops the copy) in case it crashed in between.
 */
export async function completeRunWhenDone(ctx: Pick<ServiceContext, 'kv' | 'publish' | 'log'>, runId: string, by: string): Promise<'completed' | 'pending' | 'other'> {
  const { expected } = await readRunEnd(ctx.kv.runs, runId);
  if (expected === null) return 'pending';
  const counts = await recountChips(ctx.kv.chips, runId);
  if (total(counts) < expected) return 'pending';
  if (!(await ctx.kv.runs.create(completionKey(runId), { by }))) {
    const cur = (await ctx.kv.runs.get(completionKey(runId)))?.value as { by?: string } | undefined;
    if (cur?.by !== by) return 'other';
  }
  await ctx.publish(SUBJECTS.runCompleted, { runId, expected, counts }, messageId(SUBJECTS.runCompleted, runId));
  ctx.log.info({ counts, expected }, `run ${runId}: every chip is terminal`);
  return 'completed';
}
