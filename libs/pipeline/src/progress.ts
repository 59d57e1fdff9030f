// Progress of one run from its events (replayed from the stream start, so a resumed run counts what
// happened before the crash too): per stage counts, reuse, first/last times, terminal chips by reason.
import { BANDS_PER_TILE, SUBJECTS, stageOf, type Stage } from '@hls/contracts';

export interface StageTimes {
  first: number;
  last: number;
}

export interface TerminalChip {
  state: 'accepted' | 'rejected' | 'failed';
  reason?: string;
}

type Loose = { runId?: string; chipId?: string; tileId?: string; chipIds?: string[]; reused?: boolean; bytes?: number; source?: string; reason?: string; slot?: number; datasetDir?: string; files?: string[] };

export class RunTracker {
  readonly runId: string;
  expected: number | null = null;
  readonly counts = new Map<string, number>();
  readonly stages = new Map<Stage, StageTimes>();
  bandsFetched = 0;
  bandsFetchedReused = 0;
  bytesFetched = 0;
  /** Bands served per band source (local, ipfs, https). */
  readonly bandsBySource = new Map<string, number>();
  bandsReprojected = 0;
  bandsReprojectedReused = 0;
  readonly tilesRequested = new Set<string>();
  readonly tilesSelected = new Set<string>();
  readonly tilesRejected = new Set<string>();
  readonly tilesFailed = new Set<string>();
  readonly tilesReady = new Set<string>();
  /** Chips of tiles that reached hls.tile.reprojected (the chipper's work). */
  chipsToClip = 0;
  readonly clipped = new Set<string>();
  readonly terminal = new Map<string, TerminalChip>();
  /** Chips with a second, different terminal event (never expected). */
  readonly conflicts: string[] = [];
  completed = false;
  datasetReady: { datasetDir: string; files: string[] } | null = null;

  constructor(runId: string) {
    this.runId = runId;
  }

  /** Take one event (any run's; others are ignored). `at` is ms since the run started. */
  add(subject: string, ev: unknown, at: number): void {
    const e = ev as Loose;
    if (e.runId !== this.runId) return;
    this.counts.set(subject, (this.counts.get(subject) ?? 0) + 1);
    const st = stageOf(subject);
    if (st) {
      const t = this.stages.get(st);
      if (!t) this.stages.set(st, { first: at, last: at });
      else t.last = Math.max(t.last, at);
    }
    switch (subject) {
      case SUBJECTS.tileRequested:
        if (e.tileId) this.tilesRequested.add(e.tileId);
        break;
      case SUBJECTS.sceneSelected:
        if (e.tileId) this.tilesSelected.add(e.tileId);
        break;
      case SUBJECTS.tileRejected:
        if (e.tileId) this.tilesRejected.add(e.tileId);
        break;
      case SUBJECTS.tileFailed:
        if (e.tileId) this.tilesFailed.add(e.tileId);
        break;
      case SUBJECTS.bandFetched:
        this.bandsFetched++;
        if (e.reused) this.bandsFetchedReused++;
        else this.bytesFetched += e.bytes ?? 0;
        this.bandsBySource.set(e.source ?? 'ipfs', (this.bandsBySource.get(e.source ?? 'ipfs') ?? 0) + 1);
        break;
      case SUBJECTS.bandReprojected:
        this.bandsReprojected++;
        if (e.reused) this.bandsReprojectedReused++;
        break;
      case SUBJECTS.tileReprojected:
        if (e.tileId && !this.tilesReady.has(e.tileId)) {
          this.tilesReady.add(e.tileId);
          this.chipsToClip += e.chipIds?.length ?? 0;
        }
        break;
      case SUBJECTS.chipClipped:
        if (e.chipId) this.clipped.add(e.chipId);
        break;
      case SUBJECTS.chipAccepted:
      case SUBJECTS.chipRejected:
      case SUBJECTS.chipFailed: {
        if (!e.chipId) break;
        const state = subject === SUBJECTS.chipAccepted ? 'accepted' : subject === SUBJECTS.chipRejected ? 'rejected' : 'failed';
        const prev = this.terminal.get(e.chipId);
        if (prev) {
          if (prev.state !== state) this.conflicts.push(e.chipId);
          break;
        }
        this.terminal.set(e.chipId, { state, ...(e.reason ? { reason: e.reason } : {}) });
        break;
      }
      case SUBJECTS.runCompleted:
        this.completed = true;
        break;
      case SUBJECTS.datasetBuilt:
        this.datasetReady = { datasetDir: e.datasetDir ?? '', files: e.files ?? [] };
        break;
    }
  }

  get bandsExpected(): number {
    return this.tilesSelected.size * BANDS_PER_TILE;
  }

  stateCounts(): { accepted: number; rejected: number; failed: number } {
    const c = { accepted: 0, rejected: 0, failed: 0 };
    for (const t of this.terminal.values()) c[t.state]++;
    return c;
  }

  /** "rejected: no-scenes" -> n; the reason up to its first ':' (band-unavailable: B04 (tried ipfs) -> band-unavailable). */
  reasons(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of this.terminal.values()) {
      if (t.state === 'accepted') continue;
      const k = `${t.state}: ${(t.reason ?? 'unknown').split(':')[0]}`;
      out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  }
}

const bar = (done: number, total: number, width = 20): string => {
  if (total <= 0) return `[${' '.repeat(width)}]`;
  const n = Math.max(0, Math.min(width, Math.round((done / total) * width)));
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
};

/** One line per stage (the flow's stage names; search and select share one): a bar, counts and reuse. */
export function progressLines(t: RunTracker): string[] {
  const exp = t.expected ?? 0;
  const c = t.stateCounts();
  const tiles = t.tilesRequested.size;
  const decided = t.tilesSelected.size + t.tilesRejected.size + t.tilesFailed.size;
  const indexed = (t.counts.get(SUBJECTS.chipIndexed) ?? 0);
  const pad = (s: string): string => s.padEnd(10);
  return [
    `${pad('index')}${bar(indexed, exp)} ${indexed}/${t.expected ?? '?'} chips indexed, ${tiles} tiles`,
    `${pad('select')}${bar(decided, tiles)} ${decided}/${tiles} tiles searched and decided: ${t.tilesSelected.size} selected, ${t.tilesRejected.size} rejected, ${t.tilesFailed.size} failed`,
    `${pad('fetch')}${bar(t.bandsFetched, t.bandsExpected)} ${t.bandsFetched}/${t.bandsExpected} bands (${t.bandsFetchedReused} reused, ${(t.bytesFetched / 1e6).toFixed(1)} MB)`,
    `${pad('reproject')}${bar(t.bandsReprojected, t.bandsExpected)} ${t.bandsReprojected}/${t.bandsExpected} bands (${t.bandsReprojectedReused} reused), ${t.tilesReady.size} tiles ready`,
    `${pad('clip')}${bar(t.clipped.size, t.chipsToClip)} ${t.clipped.size}/${t.chipsToClip} chips clipped`,
    `${pad('qa')}${bar(t.terminal.size, exp)} ${t.terminal.size}/${t.expected ?? '?'} chips terminal: ${c.accepted} accepted, ${c.rejected} rejected, ${c.failed} failed`,
    `${pad('dataset')}${t.datasetReady ? 'ready' : t.completed ? 'building' : 'waiting'}`,
  ];
}
