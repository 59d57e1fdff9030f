// track_chips.csv: the original's columns (generate_training_chips.py, in its order), then what this version adds:
// the three granule ids, the QA decision and the reject reason.
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DATASET_FILES } from '@hls/contracts';
import { csvField, parseCsv } from '@hls/common';
import { pyFloat } from './csv.ts';

export interface TrackChipRow {
  chipId: string;
  /** Tile id without the leading T (15TVG); written as the original did, with it (T15TVG). */
  tileId: string;
  validCounts: readonly number[];
  badPercents: readonly number[];
  naCount: number;
  /** YYYY-MM-DD per date. */
  dates: readonly string[];
  granuleIds: readonly string[];
  decision: 'accepted' | 'rejected';
  reason: string;
}

export const TRACK_CHIPS_COLUMNS = [
  'valid_first',
  'valid_second',
  'valid_third',
  'bad_pct_first',
  'bad_pct_second',
  'bad_pct_third',
  'na_count',
  'first_image_date',
  'second_image_date',
  'third_image_date',
  'chip_id',
  'tile',
  'bad_pct_max',
  'first_granule_id',
  'second_granule_id',
  'third_granule_id',
  'decision',
  'reason',
] as const;

export function trackChipsLine(r: TrackChipRow): string {
  const v = (a: readonly number[], i: number) => a[i] ?? 0;
  const fields: (string | number)[] = [
    v(r.validCounts, 0),
    v(r.validCounts, 1),
    v(r.validCounts, 2),
    pyFloat(v(r.badPercents, 0)),
    pyFloat(v(r.badPercents, 1)),
    pyFloat(v(r.badPercents, 2)),
    r.naCount,
    r.dates[0] ?? '',
    r.dates[1] ?? '',
    r.dates[2] ?? '',
    r.chipId,
    `T${r.tileId}`,
    pyFloat(Math.max(...r.badPercents)),
    r.granuleIds[0] ?? '',
    r.granuleIds[1] ?? '',
    r.granuleIds[2] ?? '',
    r.decision,
    r.reason,
  ];
  return fields.map(csvField).join(',');
}

/** Rows sorted by chip id, so the file is the same whatever order chips were processed in. */
export function formatTrackChips(rows: readonly TrackChipRow[]): string {
  const sorted = [...rows].sort((a, b) => (a.chipId < b.chipId ? -1 : a.chipId > b.chipId ? 1 : 0));
  return [TRACK_CHIPS_COLUMNS.join(','), ...sorted.map(trackChipsLine)].join('\n') + '\n';
}

export function parseTrackChips(text: string): TrackChipRow[] {
  const rows = parseCsv(text);
  const header = rows[0] ?? [];
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`track_chips.csv: missing column ${name}`);
    return i;
  };
  const idx = Object.fromEntries(TRACK_CHIPS_COLUMNS.map((c) => [c, col(c)])) as Record<(typeof TRACK_CHIPS_COLUMNS)[number], number>;
  return rows.slice(1).filter((r) => r.length > 1).map((r) => ({
    chipId: r[idx.chip_id]!,
    tileId: r[idx.tile]!.replace(/^T/, ''),
    validCounts: [r[idx.valid_first], r[idx.valid_second], r[idx.valid_third]].map(Number),
    badPercents: [r[idx.bad_pct_first], r[idx.bad_pct_second], r[idx.bad_pct_third]].map(Number),
    naCount: Number(r[idx.na_count]),
    dates: [r[idx.first_image_date]!, r[idx.second_image_date]!, r[idx.third_image_date]!],
    granuleIds: [r[idx.first_granule_id]!, r[idx.second_granule_id]!, r[idx.third_granule_id]!],
    decision: r[idx.decision] === 'accepted' ? 'accepted' : 'rejected',
    reason: r[idx.reason] ?? '',
  }));
}

/** Write atomically (temp + rename) so a reader never sees half a file. */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export async function writeTrackChips(path: string, rows: readonly TrackChipRow[]): Promise<void> {
  await writeTextAtomic(path, formatTrackChips(rows));
}

/**
 * Per-chip track records: qa-filter replicas each write their chip's row to its own file (idempotent,
 * no shared-file contention); track_chips.csv is assembled from them.
 */
export const TRACK_RECORDS_DIR = '.track_chips';

export async function writeTrackRecord(datasetDir: string, row: TrackChipRow): Promise<void> {
  await writeTextAtomic(join(datasetDir, TRACK_RECORDS_DIR, `${row.chipId}.json`), JSON.stringify(row));
}

/**
 * Assemble `<datasetDir>/track_chips.csv` from the per-chip records, of the given chips only when
 * `chipIds` is set (a run's own: an earlier run's records in the same dataset dir stay out); returns
 * the row count.
 */
export async function assembleTrackChips(datasetDir: string, chipIds?: Iterable<string>): Promise<number> {
  const dir = join(datasetDir, TRACK_RECORDS_DIR);
  const only = chipIds ? new Set([...chipIds].map((id) => `${id}.json`)) : undefined;
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json') && (!only || only.has(n)));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const rows: TrackChipRow[] = [];
  for (const n of names) {
    const p = join(dir, n);
    try {
      rows.push(JSON.parse(await readFile(p, 'utf8')) as TrackChipRow);
    } catch (e) {
      throw new Error(`track record ${p}: ${(e as Error).message}`, { cause: e });
    }
  }
  await writeTrackChips(join(datasetDir, DATASET_FILES.trackChips), rows);
  return rows.length;
}
