// Run progress from KV: expected chips, terminal counts by state and reason, tiles by stage.
import { Bus, type KvStore } from '@hls/bus';
import { loadConfig } from '@hls/config';
import { KV_BUCKETS } from '@hls/contracts';
import { readRunEnd, recountChips, total, type ChipRecord, type TileRecord } from '@hls/runtime';
import { createLogger } from '@hls/telemetry';

export interface RunStatus {
  runId: string;
  expectedChips: number | null;
  counts: { accepted: number; rejected: number; failed: number };
  terminal: number;
  complete: boolean;
  reasons: Record<string, number>;
  tiles: Record<string, number>;
  failedRun?: string;
  /** Why the finished run's dataset holds no chip. */
  empty?: string;
}

/** The run-state buckets, looked up (never created): null naming the first missing one. */
async function openRunState(bus: Bus): Promise<{ runs: KvStore; tiles: KvStore; chips: KvStore } | { missing: string }> {
  const [runs, tiles, chips] = [await bus.lookupKv(KV_BUCKETS.runs), await bus.lookupKv(KV_BUCKETS.tiles), await bus.lookupKv(KV_BUCKETS.chips)];
  if (!runs) return { missing: KV_BUCKETS.runs };
  if (!tiles) return { missing: KV_BUCKETS.tiles };
  if (!chips) return { missing: KV_BUCKETS.chips };
  return { runs, tiles, chips };
}

/** Thrown by the read-only commands when the server has no run state at all: said in one line. */
export class NoRunStateError extends Error {
  constructor(bucket: string) {
    super(`no KV bucket ${bucket} on this NATS server: no run has been submitted to it (nothing was created)`);
    this.name = 'NoRunStateError';
  }
}

export async function runStatus(bus: Bus, runId: string): Promise<RunStatus> {
  const state = await openRunState(bus);
  if ('missing' in state) throw new NoRunStateError(state.missing);
  const { runs, tiles, chips } = state;
  const end = await readRunEnd(runs, runId);
  const counts = await recountChips(chips, runId);
  const reasons: Record<string, number> = {};
  for (const k of await chips.keys(runId)) {
    if (k.split('.').length !== 2) continue;
    const c = (await chips.get(k))?.value as ChipRecord | undefined;
    if (c && c.state !== 'accepted') {
      const r = `${c.state}: ${(c.reason ?? 'unknown').split(':')[0]}`;
      reasons[r] = (reasons[r] ?? 0) + 1;
    }
  }
  const tileStages: Record<string, number> = {};
  for (const k of await tiles.keys(runId)) {
    if (k.split('.').length !== 2) continue;
    const t = (await tiles.get(k))?.value as TileRecord | undefined;
    const s = t?.stage ?? 'unknown';
    tileStages[s] = (tileStages[s] ?? 0) + 1;
  }
  const expected = end.expected;
  return {
    runId,
    expectedChips: expected,
    counts,
    terminal: total(counts),
    // Complete once the dataset step recorded the run finished (every chip terminal is not yet that).
    complete: end.finished !== undefined,
    reasons,
    tiles: tileStages,
    ...(end.failed ? { failedRun: end.failed.reason } : {}),
    ...(end.finished?.empty ? { empty: end.finished.empty } : {}),
  };
}

export async function listRuns(bus: Bus): Promise<string[]> {
  const runs = await bus.lookupKv(KV_BUCKETS.runs);
  if (!runs) throw new NoRunStateError(KV_BUCKETS.runs);
  return (await runs.keys('')).filter((k) => k.endsWith('.spec')).map((k) => k.slice(0, -'.spec'.length));
}

export async function printStatus(runId: string | undefined, o: { config?: string; json?: boolean }): Promise<void> {
  const config = loadConfig({ ...(o.config ? { file: o.config } : {}) });
  const bus = await Bus.connect({ nats: config.nats, name: 'hls-chips status', log: createLogger({ name: 'status', level: 'warn' }) });
  try {
    // Read-only: the buckets are looked up, never created.
    if (!runId) {
      let runs: string[];
      try {
        runs = await listRuns(bus);
      } catch (e) {
        if (!(e instanceof NoRunStateError)) throw e;
        console.log(o.json ? '[]' : `no runs: ${e.message}`);
        return;
      }
      if (o.json) console.log(JSON.stringify(runs));
      else console.log(runs.length ? runs.join('\n') : 'no runs');
      return;
    }
    const s = await runStatus(bus, runId).catch((e: unknown) => {
      throw e instanceof NoRunStateError ? new Error(`status ${runId}: ${e.message}`) : e;
    });
    if (o.json) {
      console.log(JSON.stringify(s, null, 2));
      return;
    }
    const exp = s.expectedChips ?? '?';
    console.log(`run ${s.runId}: ${s.terminal}/${exp} chips terminal${s.complete ? ' (complete)' : ''}`);
    console.log(`  accepted ${s.counts.accepted}, rejected ${s.counts.rejected}, failed ${s.counts.failed}`);
    for (const [r, n] of Object.entries(s.reasons).sort()) console.log(`  ${r}: ${n}`);
    if (Object.keys(s.tiles).length) console.log(`  tiles: ${Object.entries(s.tiles).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    if (s.failedRun) console.log(`  run failed: ${s.failedRun}`);
    if (s.empty) console.log(`  dataset: ${s.empty}`);
  } finally {
    await bus.close();
  }
}
