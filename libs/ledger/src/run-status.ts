// A run's progress as `status`, the runner and the web page report it: read from the ledger only.
import { PROGRESS_STATES, type ProgressState } from '@hls/contracts';
import type { RunLedger } from './ledger.ts';
import { total, type RunCounts } from './records.ts';

export interface RunStatus {
  runId: string;
  expectedChips: number | null;
  counts: RunCounts;
  terminal: number;
  /** The dataset step recorded the run finished (every chip terminal is not yet that). */
  complete: boolean;
  /** Terminal chips that are not accepted, by `<state>: <reason up to its first ':'>`. */
  reasons: Record<string, number>;
  /** Tiles by progress state, in pipeline order. */
  tiles: Partial<Record<ProgressState, number>>;
  /** Rejected and failed tiles with why. */
  tileProblems: Array<{ tileId: string; state: ProgressState; reason?: string; detail?: string }>;
  failedRun?: string;
  /** Why the finished run's dataset holds no chip. */
  empty?: string;
}

/** "band-unavailable: B04 (tried ipfs)" -> "band-unavailable". */
export const reasonKey = (state: string, reason: string | undefined): string => `${state}: ${(reason ?? 'unknown').split(':')[0]}`;

export async function runStatus(ledger: RunLedger, runId: string): Promise<RunStatus> {
  const [end, chips, tiles] = await Promise.all([ledger.runEnd(runId), ledger.chips(runId), ledger.tiles(runId)]);
  const counts: RunCounts = { accepted: 0, rejected: 0, failed: 0 };
  const reasons: Record<string, number> = {};
  for (const c of chips.values()) {
    counts[c.state]++;
    if (c.state !== 'accepted') reasons[reasonKey(c.state, c.reason)] = (reasons[reasonKey(c.state, c.reason)] ?? 0) + 1;
  }
  const byState: Partial<Record<ProgressState, number>> = {};
  const tileProblems: RunStatus['tileProblems'] = [];
  for (const [tileId, t] of [...tiles].sort(([a], [b]) => a.localeCompare(b))) {
    byState[t.state] = (byState[t.state] ?? 0) + 1;
    if (t.state === 'rejected' || t.state === 'failed') tileProblems.push({ tileId, state: t.state, ...(t.reason ? { reason: t.reason } : {}), ...(t.detail ? { detail: t.detail } : {}) });
  }
  const ordered = Object.fromEntries(PROGRESS_STATES.filter((s) => byState[s]).map((s) => [s, byState[s]]));
  return {
    runId,
    expectedChips: end.expected,
    counts,
    terminal: total(counts),
    complete: end.finished !== undefined,
    reasons,
    tiles: ordered,
    tileProblems,
    ...(end.failed ? { failedRun: end.failed.reason } : {}),
    ...(end.finished?.empty ? { empty: end.finished.empty } : {}),
  };
}
