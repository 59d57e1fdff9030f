// The qa-filter step (generate_training_chips.py, "filter out resultant chipped scenes"): decide, copy an
// accepted chip's merged and mask files to chips_filtered/, keep its track_chips row.
import { copyFile, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { forEachInWindow } from '@hls/common';
import { DATASET_DIRS, maskChipPath, mergedChipPath, type ChipId, type QaFigures } from '@hls/contracts';
import { fileMatches, readClipRecord } from './clip.ts';
import { decideQa, type QaDecision } from './qa.ts';
import { writeTrackRecord, type TrackChipRow } from './track-chips.ts';

export interface FilterChipInput {
  chipId: ChipId | string;
  tileId: string;
  qa: QaFigures;
  scenes: readonly { granuleId: string; date: string }[];
}

async function copyAtomic(from: string, to: string): Promise<void> {
  const tmp = `${to}.${process.pid}.tmp`;
  await copyFile(from, tmp);
  await rename(tmp, to);
}

export function trackRow(input: FilterChipInput, d: QaDecision): TrackChipRow {
  return {
    chipId: input.chipId,
    tileId: input.tileId,
    validCounts: input.qa.validCounts,
    badPercents: input.qa.badPercents,
    naCount: input.qa.nodataCount,
    dates: input.scenes.map((s) => s.date),
    granuleIds: input.scenes.map((s) => s.granuleId),
    decision: d.accepted ? 'accepted' : 'rejected',
    reason: d.accepted ? '' : d.reason,
  };
}

/**
 * Decide a clipped chip; copy merged + mask into chips_filtered/ when accepted (and remove stale copies when
 * not, so a re-run with other files converges); record its track_chips row. Idempotent.
 */
export async function filterChip(datasetDir: string, input: FilterChipInput): Promise<{ decision: QaDecision; files: string[] }> {
  const decision = decideQa(input.qa);
  const chip = input.chipId as ChipId;
  const sources = [mergedChipPath(chip), maskChipPath(chip)];
  const files = sources.map((s) => join(DATASET_DIRS.filtered, basename(s)));
  await mkdir(join(datasetDir, DATASET_DIRS.filtered), { recursive: true });
  for (const [i, s] of sources.entries()) {
    if (decision.accepted) {
      try {
        await copyAtomic(join(datasetDir, s), join(datasetDir, files[i]!));
      } catch (e) {
        throw new Error(`${chip}: cannot copy ${join(datasetDir, s)} to ${DATASET_DIRS.filtered}/: ${(e as Error).message}`, { cause: e });
      }
    } else await rm(join(datasetDir, files[i]!), { force: true });
  }
  await writeTrackRecord(datasetDir, trackRow(input, decision));
  return { decision, files: decision.accepted ? files : [] };
}

export interface FilteredRefresh {
  /** chips_filtered/ files that did not match their checksum and were copied again from chips/. */
  recopied: string[];
  /** Chips whose chips_filtered/ files were corrupt with no good copy left: both files removed. */
  removed: string[];
}

/**
 * Make chips_filtered/ hold only the bytes we wrote. A file whose chip has a clip record with checksums
 * must hash to it: when it does not (corrupted in place, a stale copy), it is copied again from chips/ if
 * that copy matches, otherwise the chip's two filtered files are removed (they stand for no valid clip).
 * Files with no record (put there by hand, an older version) are left as they are.
 */
export async function refreshFiltered(datasetDir: string): Promise<FilteredRefresh> {
  const dir = join(datasetDir, DATASET_DIRS.filtered);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { recopied: [], removed: [] };
  }
  const chips = new Set(names.map((n) => /^(.+?)(?:_merged\.tif|\.mask\.tif)$/.exec(n)?.[1]).filter((c): c is string => c !== undefined));
  // Eight chips checked at once (one's file hashes while the next ones are read); the lists keep the chips' order.
  const results = new Map<string, { recopied: string[]; removed: boolean }>();
  const sorted = [...chips].sort();
  await forEachInWindow(sorted, async (chip) => {
    const rec = await readClipRecord(datasetDir, chip);
    if (!rec?.sha256) return;
    const r = { recopied: [] as string[], removed: false };
    results.set(chip, r);
    let lost = false;
    for (const kind of ['merged', 'mask'] as const) {
      const filtered = join(dir, basename(rec.files[kind]));
      if (!names.includes(basename(filtered)) || (await fileMatches(filtered, rec.sha256[kind]))) continue;
      const source = join(datasetDir, rec.files[kind]);
      if (await fileMatches(source, rec.sha256[kind])) {
        await copyAtomic(source, filtered);
        r.recopied.push(join(DATASET_DIRS.filtered, basename(filtered)));
      } else lost = true;
    }
    if (lost) {
      for (const kind of ['merged', 'mask'] as const) await rm(join(dir, basename(rec.files[kind])), { force: true });
      r.removed = true;
    }
  }, 8);
  const out: FilteredRefresh = { recopied: [], removed: [] };
  for (const chip of sorted) {
    const r = results.get(chip);
    if (!r) continue;
    out.recopied.push(...r.recopied);
    if (r.removed) out.removed.push(chip);
  }
  return out;
}
