// The end-of-run summary: terminal chips by state and reason, time per stage, throughput, reuse, and
// where the outputs are. Plain data (written as <runId>.summary.json) plus a text rendering.
import { DATASET_DIRS, STAGES, type Stage } from '@hls/contracts';
import type { RunFinished } from '@hls/ledger';
import { join } from 'node:path';
import type { RunTracker } from './progress.ts';

export interface RunSummary {
  runId: string;
  complete: boolean;
  expected: number | null;
  accepted: number;
  rejected: number;
  failed: number;
  /** "rejected: no-scenes" -> count. */
  reasons: Record<string, number>;
  conflicts: string[];
  tiles: { requested: number; selected: number; rejected: number; failed: number; ready: number };
  bands: { fetched: number; fetchedReused: number; mbFetched: number; reprojected: number; reprojectedReused: number; bySource: Record<string, number> };
  chipsClipped: number;
  /** Seconds from the run start to each stage's first and last event. */
  stages: Partial<Record<Stage, { start: number; end: number }>>;
  seconds: number;
  chipsPerMinute: number;
  bandsPerMinute: number;
  datasetDir: string;
  outputs: Record<string, string>;
  failedRun?: string;
  timedOut?: number;
  /** Following stopped before the run ended (SIGINT/SIGTERM): why, and what becomes of the run. */
  stopped?: string;
  /** Set when the run completed but produced no chip: why (the reasons its chips ended). */
  nothingProduced?: string;
  /** Service processes that died and were restarted (--processes). */
  restarts: string[];
}

/** "23 files: a, b, band_stats/, plots/": top-level files, then the folders holding the others. */
function datasetFiles(files: readonly string[]): string {
  const dirs = [...new Set(files.filter((f) => f.includes('/')).map((f) => `${f.split('/')[0]}/`))];
  return `${files.length} files: ${[...files.filter((f) => !f.includes('/')), ...dirs].join(', ')}`;
}

/** Why a complete run produced no chip, from its chips' reasons (or that it had none). */
function nothingProducedWhy(expected: number | null, reasons: Record<string, number>): string {
  if (!expected) return 'nothing produced: the chip payload holds no chip';
  const why = Object.entries(reasons)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  return `nothing produced: no chip was accepted (${why})`;
}

export function summarize(
  t: RunTracker,
  o: { seconds: number; datasetDir: string; finished?: RunFinished; failedRun?: string; timedOut?: number; stopped?: string; restarts?: string[] },
): RunSummary {
  const c = t.stateCounts();
  // Complete as the run ledger recorded it, with every chip's terminal event seen here.
  const complete = o.finished !== undefined && t.expected !== null && t.terminal.size >= t.expected;
  const reasons = t.reasons();
  const stages: RunSummary['stages'] = {};
  for (const s of STAGES) {
    const st = t.stages.get(s);
    if (st) stages[s] = { start: Math.round(st.first) / 1000, end: Math.round(st.last) / 1000 };
  }
  const minutes = o.seconds / 60;
  const bandWindow = (() => {
    const f = t.stages.get('fetch');
    const r = t.stages.get('reproject');
    if (!f || !r) return minutes;
    return Math.max(1e-6, (r.last - f.first) / 60_000);
  })();
  const dir = o.datasetDir;
  return {
    runId: t.runId,
    complete,
    expected: t.expected,
    ...c,
    reasons,
    conflicts: t.conflicts,
    tiles: { requested: t.tilesRequested.size, selected: t.tilesSelected.size, rejected: t.tilesRejected.size, failed: t.tilesFailed.size, ready: t.tilesReady.size },
    bands: {
      fetched: t.bandsFetched,
      fetchedReused: t.bandsFetchedReused,
      mbFetched: Math.round(t.bytesFetched / 1e5) / 10,
      reprojected: t.bandsReprojected,
      reprojectedReused: t.bandsReprojectedReused,
      bySource: Object.fromEntries([...t.bandsBySource].sort()),
    },
    chipsClipped: t.clipped.size,
    restarts: o.restarts ?? [],
    stages,
    seconds: Math.round(o.seconds * 10) / 10,
    chipsPerMinute: Math.round((t.terminal.size / Math.max(minutes, 1e-6)) * 10) / 10,
    bandsPerMinute: Math.round((t.bandsReprojected / bandWindow) * 10) / 10,
    datasetDir: dir,
    outputs: {
      'accepted chips': join(dir, DATASET_DIRS.filtered),
      'all clipped chips': join(dir, DATASET_DIRS.chips),
      'Fmask chips': join(dir, DATASET_DIRS.fmask),
      'reprojected bands': join(dir, DATASET_DIRS.reprojected),
      'downloaded bands': join(dir, DATASET_DIRS.tiles),
      dataset: t.datasetReady ? `${dir} (${datasetFiles(t.datasetReady.files)})` : '',
    },
    ...(o.failedRun ? { failedRun: o.failedRun } : {}),
    ...(o.timedOut ? { timedOut: o.timedOut } : {}),
    ...(o.stopped ? { stopped: o.stopped } : {}),
    ...(complete && c.accepted === 0 ? { nothingProduced: nothingProducedWhy(t.expected, reasons) } : {}),
  };
}

/** The command's exit code: 0 for a complete run that produced chips, 1 otherwise (the summary says why). */
export const exitCode = (s: RunSummary): 0 | 1 => (s.complete && !s.nothingProduced ? 0 : 1);

export function formatSummary(s: RunSummary): string {
  const lines: string[] = [];
  const status = s.complete
    ? 'complete'
    : s.failedRun
      ? `FAILED: ${s.failedRun}`
      : s.stopped
        ? `STOPPED: ${s.stopped}`
        : s.timedOut
          ? `TIMED OUT after ${s.timedOut / 1000} s`
          : 'incomplete';
  lines.push(`run ${s.runId}: ${status} in ${s.seconds.toFixed(1)} s`);
  if (s.nothingProduced) lines.push(s.nothingProduced);
  lines.push(`chips: ${s.expected ?? '?'} expected, ${s.accepted} accepted, ${s.rejected} rejected, ${s.failed} failed`);
  for (const [r, n] of Object.entries(s.reasons).sort()) lines.push(`  ${r}: ${n}`);
  if (s.conflicts.length) lines.push(`  chips with two different terminal events: ${s.conflicts.join(', ')}`);
  lines.push(`tiles: ${s.tiles.requested} requested, ${s.tiles.selected} with 3 scenes, ${s.tiles.rejected} rejected, ${s.tiles.failed} failed, ${s.tiles.ready} ready`);
  lines.push(
    `bands: ${s.bands.fetched} fetched (${s.bands.fetchedReused} reused, ${s.bands.mbFetched} MB downloaded), ${s.bands.reprojected} reprojected (${s.bands.reprojectedReused} reused)`,
  );
  const by = Object.entries(s.bands.bySource);
  if (by.length > 0) lines.push(`  served by: ${by.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const reusedAll = s.bands.fetched > 0 && s.bands.fetchedReused === s.bands.fetched && s.bands.reprojectedReused === s.bands.reprojected;
  if (reusedAll) lines.push('  nothing downloaded or warped again: every band was already there and valid');
  for (const r of s.restarts) lines.push(`restarted: ${r}`);
  lines.push('time per stage (s from start, first -> last event):');
  for (const [k, v] of Object.entries(s.stages)) lines.push(`  ${k.padEnd(10)} ${v.start.toFixed(1).padStart(6)} -> ${v.end.toFixed(1).padStart(6)}  (${(v.end - v.start).toFixed(1)} s)`);
  lines.push(`throughput: ${s.chipsPerMinute} chips/min, ${s.bandsPerMinute} bands/min (fetch + reproject)`);
  lines.push('outputs:');
  for (const [k, v] of Object.entries(s.outputs)) if (v) lines.push(`  ${k.padEnd(18)} ${v}`);
  return lines.join('\n');
}
