// The chipping and QA steps over files on disk, as the original scripts ran them (hls-chips chip / qa):
// tiles come from what is in tiles_reprojected/, chip boxes from the EPSG:5070 payload, each chip's tile
// from chips_df.csv (or, without it, the tile whose reprojected rasters contain the chip box).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  BANDS,
  DATASET_DIRS,
  DATASET_FILES,
  FMASK_BAND,
  GRANULE_ID_PATTERN,
  SCENES_PER_TILE,
  parseGranuleId,
  reprojectedBandPath,
  type BBox,
  type GranuleId,
} from '@hls/contracts';
import { boxesFrom5070, parseFeatureCollection } from '@hls/geo';
import { clipChip, RasterCache, type SceneRef } from './clip.ts';
import { parseCsv } from '@hls/common';
import { filterChip, trackRow } from './filter.ts';
import { decideQa } from './qa.ts';
import type { ReclassTable } from './reclass.ts';
import { assembleTrackChips, TRACK_RECORDS_DIR, writeTrackRecord, type TrackChipRow } from './track-chips.ts';

export interface ReprojectedTile {
  tileId: string;
  /** Date order. */
  scenes: SceneRef[];
}

export interface TileProblem {
  tileId: string;
  detail: string;
}

/** Tiles in tiles_reprojected/ with their granules; a tile is complete with 3 granules x 7 bands. */
export async function reprojectedTiles(datasetDir: string): Promise<{ tiles: ReprojectedTile[]; problems: TileProblem[] }> {
  const dir = join(datasetDir, DATASET_DIRS.reprojected);
  const names = await readdir(dir);
  const byGranule = new Map<string, Set<string>>();
  for (const n of names) {
    const m = /^(.+)\.([^.]+)\.tif$/.exec(n);
    if (!m || !GRANULE_ID_PATTERN.test(m[1]!) || !(BANDS as readonly string[]).includes(m[2]!)) continue;
    const set = byGranule.get(m[1]!) ?? new Set<string>();
    set.add(m[2]!);
    byGranule.set(m[1]!, set);
  }
  const byTile = new Map<string, SceneRef[]>();
  const problems: TileProblem[] = [];
  for (const [g, bands] of byGranule) {
    const p = parseGranuleId(g);
    if (bands.size !== BANDS.length) {
      problems.push({ tileId: p.tileId, detail: `${g}: missing bands ${BANDS.filter((b) => !bands.has(b)).join(' ')} in ${dir}` });
      continue;
    }
    byTile.set(p.tileId, [...(byTile.get(p.tileId) ?? []), { granuleId: g, date: p.date }]);
  }
  const tiles: ReprojectedTile[] = [];
  for (const [tileId, scenes] of [...byTile].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (scenes.length !== SCENES_PER_TILE) {
      problems.push({ tileId, detail: `${scenes.length} complete scenes in ${dir}, a tile needs ${SCENES_PER_TILE}` });
      continue;
    }
    tiles.push({ tileId, scenes: scenes.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0)) });
  }
  return { tiles, problems };
}

export interface ChipBox {
  chipId: string;
  bbox5070: BBox;
}

/** Chip boxes from the EPSG:5070 payload; bad features are reported, not thrown. */
export async function readChipBoxes(payload5070: string): Promise<{ chips: ChipBox[]; problems: { chipId: string | null; detail: string }[] }> {
  const features = parseFeatureCollection(await readFile(payload5070, 'utf8'), payload5070);
  const { boxes, rejected } = boxesFrom5070(features, payload5070);
  return {
    chips: [...boxes].map(([chipId, b]) => ({ chipId, bbox5070: b.bbox })),
    problems: rejected.map((r) => ({ chipId: r.id, detail: `${r.reason}: ${r.detail}` })),
  };
}

/** chip_id -> tile from chips_df.csv (columns chip_id, tile; a leading T is dropped). */
export async function readChipTiles(path: string): Promise<Map<string, string>> {
  const rows = parseCsv(await readFile(path, 'utf8'));
  const h = rows[0] ?? [];
  const ci = h.indexOf('chip_id');
  const ti = h.indexOf('tile');
  if (ci < 0 || ti < 0) throw new Error(`${path}: needs columns chip_id and tile, has ${h.join(', ')}`);
  const out = new Map<string, string>();
  for (const r of rows.slice(1)) if (r[ci]) out.set(r[ci]!, (r[ti] ?? '').replace(/^T/, ''));
  return out;
}

const contains = (outer: BBox, inner: BBox) => outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];

export interface ChipDatasetOptions {
  datasetDir: string;
  payload5070: string;
  cdlSource: string;
  reclass: ReclassTable;
  /** chips_df.csv; default `<datasetDir>/chips_df.csv` when it exists. */
  chipsTable?: string;
  /** Only these chip ids. */
  only?: readonly string[];
  onChip?: (chipId: string, outcome: string) => void;
}

export interface ChipDatasetSummary {
  clipped: number;
  rejected: { chipId: string; reason: string; detail: string }[];
  failed: { chipId: string; error: string }[];
  tileProblems: TileProblem[];
}

/** Clip every chip whose tile is complete in tiles_reprojected/; write track records and track_chips.csv. */
export async function chipDataset(o: ChipDatasetOptions): Promise<ChipDatasetSummary> {
  const { tiles, problems: tileProblems } = await reprojectedTiles(o.datasetDir);
  const { chips, problems } = await readChipBoxes(o.payload5070);
  const summary: ChipDatasetSummary = { clipped: 0, rejected: [], failed: [], tileProblems };
  for (const p of problems) summary.rejected.push({ chipId: p.chipId ?? '?', reason: 'bad-box', detail: p.detail });

  let tileOf: Map<string, string> | null = null;
  const table = o.chipsTable ?? join(o.datasetDir, DATASET_FILES.chipsTable);
  try {
    tileOf = await readChipTiles(table);
  } catch (e) {
    if (o.chipsTable || (e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const cache = new RasterCache();
  try {
    // Without chips_df.csv: the first tile (by id) whose reprojected Fmask contains the chip box.
    const extents = new Map<string, BBox>();
    if (!tileOf) {
      for (const t of tiles) {
        const r = await cache.get(join(o.datasetDir, reprojectedBandPath(t.scenes[0]!.granuleId as GranuleId, FMASK_BAND)));
        const [gx, sx, , gy, , sy] = r.geoTransform;
        extents.set(t.tileId, [gx, gy + sy * r.height, gx + sx * r.width, gy]);
      }
    }
    const byTile = new Map(tiles.map((t) => [t.tileId, t]));
    const only = o.only ? new Set(o.only) : null;
    for (const c of chips) {
      if (only && !only.has(c.chipId)) continue;
      const tileId = tileOf ? tileOf.get(c.chipId) : tiles.find((t) => contains(extents.get(t.tileId)!, c.bbox5070))?.tileId;
      const tile = tileId ? byTile.get(tileId) : undefined;
      if (!tile) continue; // its tile is not (fully) reprojected: nothing to chip yet
      try {
        const r = await clipChip({ chipId: c.chipId, bbox5070: c.bbox5070, scenes: tile.scenes }, { datasetDir: o.datasetDir, cdlSource: o.cdlSource, reclass: o.reclass, cache });
        if (!r.ok) {
          summary.rejected.push({ chipId: c.chipId, reason: r.reason, detail: r.detail });
          o.onChip?.(c.chipId, `rejected: ${r.reason}`);
          continue;
        }
        const d = decideQa(r.qa);
        await writeTrackRecord(o.datasetDir, trackRow({ chipId: c.chipId, tileId: tile.tileId, qa: r.qa, scenes: r.scenes }, d));
        summary.clipped++;
        o.onChip?.(c.chipId, 'clipped');
      } catch (e) {
        summary.failed.push({ chipId: c.chipId, error: e instanceof Error ? e.message : String(e) });
        o.onChip?.(c.chipId, 'failed');
      }
    }
  } finally {
    await cache.close();
  }
  await assembleTrackChips(o.datasetDir);
  return summary;
}

/** The qa step over what `chipDataset` recorded: decide each chip, fill chips_filtered/, rewrite track_chips.csv. */
export async function qaDataset(datasetDir: string): Promise<{ accepted: string[]; rejected: { chipId: string; reason: string }[] }> {
  const dir = join(datasetDir, TRACK_RECORDS_DIR);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${dir}: no chip records; run the chip step first`, { cause: e });
    throw e;
  }
  const accepted: string[] = [];
  const rejected: { chipId: string; reason: string }[] = [];
  for (const n of names) {
    const row = JSON.parse(await readFile(join(dir, n), 'utf8')) as TrackChipRow;
    const qa = { validCounts: [...row.validCounts], badPercents: [...row.badPercents], nodataCount: row.naCount, unmappedCdlPixels: 0 };
    const scenes = row.granuleIds.map((g, i) => ({ granuleId: g, date: row.dates[i] ?? '' }));
    const { decision } = await filterChip(datasetDir, { chipId: row.chipId, tileId: row.tileId, qa, scenes });
    if (decision.accepted) accepted.push(row.chipId);
    else rejected.push({ chipId: row.chipId, reason: decision.reason });
  }
  await assembleTrackChips(datasetDir);
  return { accepted, rejected };
}
