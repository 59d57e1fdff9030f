// What the catalog and the card say, read from the dataset dir's own files: the accepted chips' clip
// records (.chip_qa/, box and scenes), the split, global_stats.txt, the per-chip class counts (plots/),
// and the source scenes' band links (selected_tiles.csv) and CIDs (tile_payloads.json).
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BANDS, DATASET_DIRS, DATASET_FILES, GRANULE_ID_PATTERN, REFLECTANCE_BANDS, filteredChipPath, type Band, type BBox } from '@hls/contracts';
import { filteredChipIds, readSplit } from '@hls/analytics';
import { readClipRecord, type SceneRef } from '@hls/chips';
import { parseCsv } from '@hls/common';

export type SplitName = 'train' | 'val';

export interface ChipFacts {
  chipId: string;
  bbox5070: BBox;
  /** The three scenes in date order (the order of the merged chip's bands). */
  scenes: SceneRef[];
  /** Relative to the dataset dir. */
  files: { merged: string; mask: string; fmask: string };
  split?: SplitName;
  /** Pixels per class 0..13 (from plots/<split>_dst.csv), when the distribution was written. */
  classCounts?: number[];
}

export interface BandSource {
  href?: string;
  cid?: string;
}
/** A source granule: where each of its band files came from. */
export type SourceScene = Partial<Record<Band, BandSource>>;

export interface GlobalStats {
  min: number[];
  max: number[];
  mean: number[];
  std: number[];
}

export interface DatasetFacts {
  /** The dataset dir's name (`train_dataset_name`). */
  name: string;
  chips: ChipFacts[];
  /** Chips that are accepted but cannot be described (no clip record): left out, with why. */
  skipped: { chipId: string; reason: string }[];
  stats?: GlobalStats;
  sources: Map<string, SourceScene>;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** global_stats.txt: four lines `min: [..]`, `max: [..]`, `mean: [..]`, `std: [..]` (one value per band). */
export function parseGlobalStats(text: string, source: string): GlobalStats {
  const out: Partial<GlobalStats> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(min|max|mean|std):\s*\[(.*)\]\s*$/.exec(line);
    if (!m) continue;
    const values = m[2]!.split(',').map((v) => Number(v.trim()));
    if (values.length !== REFLECTANCE_BANDS.length || values.some((v) => !Number.isFinite(v))) throw new Error(`${source}: ${m[1]} must hold ${REFLECTANCE_BANDS.length} numbers`);
    out[m[1] as keyof GlobalStats] = values;
  }
  for (const k of ['min', 'max', 'mean', 'std'] as const) if (!out[k]) throw new Error(`${source}: no '${k}:' line`);
  return out as GlobalStats;
}

/** plots/training_dst.csv, plots/validation_dst.csv: `chip_id,0,1,...,13` per chip. */
export function parseClassCounts(text: string): Map<string, number[]> {
  const rows = parseCsv(text).filter((r) => r.length > 1);
  return new Map(rows.slice(1).map((r) => [r[0]!, r.slice(1).map(Number)]));
}

/** The band links of selected_tiles.csv's `http_links` cells (a Python dict repr: `{'B02': 'https://...'}`). */
export function parseBandLinks(cell: string): Partial<Record<Band, string>> {
  const out: Partial<Record<Band, string>> = {};
  for (const m of cell.matchAll(/'([A-Za-z0-9]+)':\s*'([^']*)'/g)) {
    if ((BANDS as readonly string[]).includes(m[1]!)) out[m[1] as Band] = m[2]!;
  }
  return out;
}

async function readSources(datasetDir: string): Promise<Map<string, SourceScene>> {
  const sources = new Map<string, SourceScene>();
  const scene = (g: string): SourceScene => {
    let s = sources.get(g);
    if (!s) sources.set(g, (s = {}));
    return s;
  };
  const selected = await readText(join(datasetDir, DATASET_FILES.selectedTiles));
  if (selected) {
    const rows = parseCsv(selected);
    const header = rows[0] ?? [];
    const id = header.indexOf('title_id');
    const links = header.indexOf('http_links');
    if (id >= 0 && links >= 0) {
      for (const r of rows.slice(1)) {
        const g = r[id];
        if (!g || !GRANULE_ID_PATTERN.test(g)) continue;
        for (const [band, href] of Object.entries(parseBandLinks(r[links] ?? ''))) scene(g)[band as Band] = { ...scene(g)[band as Band], href };
      }
    }
  }
  const payloads = await readText(join(datasetDir, DATASET_FILES.tilePayloads));
  if (payloads) {
    const p = JSON.parse(payloads) as Record<string, { cid?: string; band_name?: string }[]>;
    for (const [g, files] of Object.entries(p)) {
      if (!Array.isArray(files)) continue;
      for (const f of files) {
        if (f.cid && f.band_name && (BANDS as readonly string[]).includes(f.band_name)) scene(g)[f.band_name as Band] = { ...scene(g)[f.band_name as Band], cid: f.cid };
      }
    }
  }
  return sources;
}

async function readSplitOf(datasetDir: string): Promise<Map<string, SplitName>> {
  try {
    const s = await readSplit(datasetDir);
    return new Map([...s.train.map((c) => [c, 'train'] as const), ...s.val.map((c) => [c, 'val'] as const)]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
}

/**
 * The facts of the dataset's accepted chips: `chipIds` (a run's own) or every chip in chips_filtered/.
 * A chip without a clip record is skipped with the reason, never guessed.
 */
export async function readDatasetFacts(datasetDir: string, options: { chipIds?: readonly string[] } = {}): Promise<DatasetFacts> {
  const ids = [...(options.chipIds ?? (await filteredChipIds(datasetDir).catch(() => [])))].sort();
  const split = await readSplitOf(datasetDir);
  const counts = new Map<string, number[]>();
  for (const f of ['training_dst.csv', 'validation_dst.csv']) {
    const text = await readText(join(datasetDir, DATASET_DIRS.plots, f));
    if (text) for (const [k, v] of parseClassCounts(text)) counts.set(k, v);
  }
  const statsPath = join(datasetDir, DATASET_FILES.globalStats);
  const statsText = await readText(statsPath);
  const chips: ChipFacts[] = [];
  const skipped: DatasetFacts['skipped'] = [];
  for (const chipId of ids) {
    const rec = await readClipRecord(datasetDir, chipId);
    if (!rec) {
      skipped.push({ chipId, reason: `no clip record ${join('.chip_qa', `${chipId}.json`)}` });
      continue;
    }
    const bad = rec.scenes.find((s) => !GRANULE_ID_PATTERN.test(String(s.granuleId)));
    if (bad) {
      skipped.push({ chipId, reason: `clip record names granule '${String(bad.granuleId)}', not an HLS granule id` });
      continue;
    }
    const files = {
      merged: filteredChipPath(basename(rec.files.merged)),
      mask: filteredChipPath(basename(rec.files.mask)),
      fmask: rec.files.fmask,
    };
    const s = split.get(chipId);
    const c = counts.get(chipId);
    chips.push({ chipId, bbox5070: rec.bbox5070, scenes: rec.scenes, files, ...(s ? { split: s } : {}), ...(c ? { classCounts: c } : {}) });
  }
  return {
    name: basename(datasetDir),
    chips,
    skipped,
    ...(statsText ? { stats: parseGlobalStats(statsText, statsPath) } : {}),
    sources: await readSources(datasetDir),
  };
}
