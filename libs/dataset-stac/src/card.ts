// The dataset card, <dataset>/README.md: what the folder holds and how to load it, for someone who gets
// only the folder. Everything in it comes from the dataset's files (or the run's ledger) and the config.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { CHIP, CLASS_NAMES, DATASET_FILES, REFLECTANCE_BANDS, SCENES_PER_TILE, type Config } from '@hls/contracts';
import { parseTrackChips } from '@hls/chips';
import { parseCsv } from '@hls/common';
import type { DatasetDescription } from './collection.ts';
import { readDatasetFacts, type DatasetFacts } from './dataset-facts.ts';
import type { Software } from './software.ts';
import { STAC_DIR } from './stac-versions.ts';

export const CARD_FILE = 'README.md';

/** A chip's end: accepted, rejected or failed, with the reason. */
export interface ChipOutcome {
  state: string;
  reason?: string;
}

export interface CardInputs {
  facts: DatasetFacts;
  /** Every chip of the run with how it ended (ledger), else what the dataset files tell. */
  outcomes: readonly ChipOutcome[];
  /** How the outcomes were known, said in the card. */
  outcomesFrom: string;
  classWeights?: number[];
  describe?: DatasetDescription;
  /** The config used, without credentials. */
  config?: Config;
  software: Software;
  sourceCatalogue?: string;
  /** Whether stac/collection.json is there to point at. */
  hasStac: boolean;
}

const fmt = (v: number, digits = 1) => (Number.isInteger(v) ? String(v) : v.toFixed(digits));
const table = (head: string[], rows: (string | number)[][]) => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

export function countOutcomes(outcomes: readonly ChipOutcome[]): { state: string; reason: string; chips: number }[] {
  const m = new Map<string, { state: string; reason: string; chips: number }>();
  for (const o of outcomes) {
    const reason = o.state === 'accepted' ? '' : (o.reason ?? '').split(':')[0]!.trim() || 'unknown';
    const k = `${o.state}\0${reason}`;
    const e = m.get(k) ?? { state: o.state, reason, chips: 0 };
    e.chips += 1;
    m.set(k, e);
  }
  // Terminal states first, in this order; any other (chips never clipped) after them.
  const rank = (s: string) => {
    const i = ['accepted', 'rejected', 'failed'].indexOf(s);
    return i < 0 ? 3 : i;
  };
  return [...m.values()].sort((a, b) => rank(a.state) - rank(b.state) || b.chips - a.chips || a.reason.localeCompare(b.reason));
}

function classTable(facts: DatasetFacts, weights?: number[]): string {
  const sum = (split: string) => {
    const t = new Array<number>(CLASS_NAMES.length).fill(0);
    for (const c of facts.chips) if (c.split === split && c.classCounts) c.classCounts.forEach((v, i) => (t[i] = (t[i] ?? 0) + v));
    return t;
  };
  const train = sum('train');
  const val = sum('val');
  const all = train.map((v, i) => v + val[i]!);
  const total = all.reduce((a, b) => a + b, 0);
  if (total === 0) return 'No class counts (plots/training_dst.csv, plots/validation_dst.csv) were written.';
  return table(
    ['value', 'class', 'train pixels', 'val pixels', 'share', ...(weights ? ['class weight'] : [])],
    CLASS_NAMES.map((name, v) => [v, name, train[v]!, val[v]!, `${fmt((100 * all[v]!) / total, 2)} %`, ...(weights ? [fmt(weights[v] ?? 0, 4)] : [])]),
  );
}

/** TerraTorch's generic segmentation datamodule over this folder (the Prithvi multi-temporal crop setup). */
function terratorchSnippet(facts: DatasetFacts): string {
  const names = Array.from({ length: SCENES_PER_TILE }, (_, t) => REFLECTANCE_BANDS.map((b) => `${b}_t${t + 1}`)).flat();
  const rep = (xs: number[]) => JSON.stringify(Array.from({ length: SCENES_PER_TILE }, () => xs.map((x) => Number(x.toFixed(4)))).flat());
  const s = facts.stats;
  return [
    '```yaml',
    'data:',
    '  class_path: terratorch.datamodules.GenericNonGeoSegmentationDataModule',
    '  init_args:',
    '    batch_size: 8',
    '    num_workers: 4',
    `    train_data_root: <this folder>/chips_filtered`,
    `    train_label_data_root: <this folder>/chips_filtered`,
    `    val_data_root: <this folder>/chips_filtered`,
    `    val_label_data_root: <this folder>/chips_filtered`,
    `    train_split: <this folder>/${DATASET_FILES.trainingData}`,
    `    val_split: <this folder>/${DATASET_FILES.validationData}`,
    '    img_grep: "*_merged.tif"',
    '    label_grep: "*.mask.tif"',
    `    num_classes: ${CLASS_NAMES.length}`,
    `    dataset_bands: ${JSON.stringify(names)}`,
    `    output_bands: ${JSON.stringify(names)}`,
    ...(s ? [`    means: ${rep(s.mean)}`, `    stds: ${rep(s.std)}`] : ['    # means / stds: run `hls-chips dataset stats` (global_stats.txt), then repeat the 6 values for each of the 3 dates']),
    '    no_data_replace: 0',
    '    no_label_replace: -1',
    '```',
  ].join('\n');
}

const PYSTAC_SNIPPET = [
  '```python',
  'import pystac, rasterio',
  '',
  `collection = pystac.Collection.from_file("<this folder>/${STAC_DIR}/collection.json")`,
  'for item in collection.get_items():',
  '    merged = item.assets["merged"].get_absolute_href()',
  '    with rasterio.open(merged) as src:          # 18 bands, Int16, nodata -9999',
  '        reflectance = src.read() * src.scales[0]  # scale 0.0001 on every band',
  '        print(item.id, item.properties["split"], src.descriptions[:6], item.properties["start_datetime"])',
  '    with rasterio.open(item.assets["mask"].get_absolute_href()) as m:',
  '        labels = m.read(1)                       # classes 0..13, 0 = no data',
  '```',
].join('\n');

export function datasetCard(c: CardInputs): string {
  const { facts } = c;
  const d = c.describe ?? {};
  const train = facts.chips.filter((x) => x.split === 'train').length;
  const val = facts.chips.filter((x) => x.split === 'val').length;
  const dates = facts.chips.flatMap((x) => x.scenes.map((s) => s.date)).sort();
  const lines: string[] = [
    `# ${d.title ?? `HLS crop-classification chips: ${facts.name}`}`,
    '',
    d.description ??
      `Multi-temporal crop-classification training chips: ${CHIP.pixels} x ${CHIP.pixels} px at 30 m on the USDA Cropland Data Layer grid (EPSG:5070). ` +
        'Each chip is an 18-band Int16 GeoTIFF of NASA HLS S30 v2.0 reflectance (B02 B03 B04 B8A B11 B12 at 3 dates of the growing season, date-major, scale 0.0001, nodata -9999), ' +
        'a 3-band Fmask chip (one per date) and a 14-class label mask reclassified from the CDL (UInt8, 0 = no data).',
    '',
    `- **License**: ${d.license ?? 'various (HLS: NASA LP DAAC; CDL: USDA NASS)'}`,
    ...(d.citation ? [`- **Citation**: ${d.citation}`] : []),
    `- **Chips**: ${facts.chips.length} accepted (${train} train, ${val} validation)${dates.length ? `, scenes from ${dates[0]} to ${dates[dates.length - 1]}` : ''}`,
    `- **Written by**: ${c.software.name} ${c.software.version}`,
    `- **Source scenes**: ${c.sourceCatalogue ?? 'not recorded (see selected_tiles.csv for the band links)'}`,
    ...(c.hasStac ? [`- **STAC**: \`${STAC_DIR}/collection.json\` (STAC 1.0.0; one Item per accepted chip in \`${STAC_DIR}/items/\`)`] : []),
    '',
    '## Files',
    '',
    table(
      ['path', 'what'],
      [
        ['`chips_filtered/<chip>_merged.tif`', '18 bands: `B02_t1` ... `B12_t3` (band descriptions), scale/offset, `ACQUISITION_DATES`'],
        ['`chips_filtered/<chip>.mask.tif`', 'label mask, classes below, colour map, nodata 0'],
        ['`chips_fmask/<chip>_Fmask.tif`', 'HLS Fmask of the 3 dates (`Fmask_t1` ...), nodata 255'],
        [`\`${DATASET_FILES.trainIds}\`, \`${DATASET_FILES.valIds}\`, \`${DATASET_FILES.trainingData}\`, \`${DATASET_FILES.validationData}\``, 'the split'],
        [`\`${DATASET_FILES.globalStats}\`, \`band_stats/\``, 'band statistics'],
        [`\`${DATASET_FILES.classWeights}\`, \`plots/\`, \`training_dst.png\`, \`validation_dst.png\``, 'class weights and distribution'],
        [`\`${DATASET_FILES.trackChips}\``, 'every clipped chip: QA figures, dates, granules, decision, reason'],
        [`\`${DATASET_FILES.selectedTiles}\`, \`${DATASET_FILES.tilePayloads}\``, 'the selected scenes, their band links and CIDs'],
      ],
    ),
    '',
    '## Chips by outcome',
    '',
    `${c.outcomesFrom}.`,
    '',
    c.outcomes.length ? table(['state', 'reason', 'chips'], countOutcomes(c.outcomes).map((o) => [o.state, o.reason || '-', o.chips])) : 'No chip outcomes recorded.',
    '',
    '## Classes',
    '',
    classTable(facts, c.classWeights),
    '',
    '## Band statistics',
    '',
    facts.stats
      ? `Over the 3 dates of every accepted chip, raw DN (multiply by 0.0001 for reflectance); min/max are the 1.5 / 98.5 percentiles.\n\n${table(
          ['band', 'mean', 'std', 'min (p1.5)', 'max (p98.5)'],
          REFLECTANCE_BANDS.map((b, i) => [b, fmt(facts.stats!.mean[i]!, 2), fmt(facts.stats!.std[i]!, 2), fmt(facts.stats!.min[i]!), fmt(facts.stats!.max[i]!)]),
        )}`
      : `No ${DATASET_FILES.globalStats}.`,
    '',
    '## How to load it',
    '',
    'TerraTorch (the layout the Prithvi multi-temporal crop-classification fine-tuning reads):',
    '',
    terratorchSnippet(facts),
    '',
    'pystac and rasterio:',
    '',
    PYSTAC_SNIPPET,
    '',
  ];
  if (c.config) lines.push('## Config used', '', 'Credentials removed.', '', '```yaml', stringify(c.config).trimEnd(), '```', '');
  return lines.join('\n');
}

/** Outcomes from the dataset files: track_chips.csv's decisions, and the indexed chips never clipped. */
export async function outcomesFromFiles(datasetDir: string): Promise<ChipOutcome[]> {
  const read = async (f: string) => readFile(join(datasetDir, f), 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)));
  const track = await read(DATASET_FILES.trackChips);
  const rows = track ? parseTrackChips(track) : [];
  const out: ChipOutcome[] = rows.map((r) => (r.decision === 'accepted' ? { state: 'accepted' } : { state: 'rejected', reason: r.reason || 'unknown' }));
  const indexed = await read(DATASET_FILES.chipsId);
  if (indexed) {
    const clipped = new Set(rows.map((r) => r.chipId));
    for (const id of JSON.parse(indexed) as string[]) if (!clipped.has(id)) out.push({ state: 'not clipped', reason: 'no scenes, no tile or failed before clipping' });
  }
  return out;
}

async function readClassWeights(datasetDir: string): Promise<number[] | undefined> {
  try {
    const rows = parseCsv(await readFile(join(datasetDir, DATASET_FILES.classWeights), 'utf8')).filter((r) => r.length >= 2);
    return rows.map((r) => Number(r[1]));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export interface WriteCardOptions {
  chipIds?: readonly string[];
  /** The run's chip outcomes (ledger); default: from track_chips.csv and chips_id.json. */
  outcomes?: readonly ChipOutcome[];
  describe?: DatasetDescription;
  config?: Config;
  software: Software;
  sourceCatalogue?: string;
}

export async function writeDatasetCard(datasetDir: string, o: WriteCardOptions): Promise<{ file: string; text: string }> {
  const facts = await readDatasetFacts(datasetDir, o.chipIds ? { chipIds: o.chipIds } : {});
  const fromLedger = o.outcomes !== undefined;
  const weights = await readClassWeights(datasetDir);
  const hasStac = await readFile(join(datasetDir, STAC_DIR, 'collection.json')).then(
    () => true,
    () => false,
  );
  const text = datasetCard({
    facts,
    outcomes: o.outcomes ?? (await outcomesFromFiles(datasetDir)),
    outcomesFrom: fromLedger ? "Every chip of the run, from the run's ledger" : `From ${DATASET_FILES.trackChips} (clipped chips) and ${DATASET_FILES.chipsId} (every indexed chip)`,
    ...(weights ? { classWeights: weights } : {}),
    ...(o.describe ? { describe: o.describe } : {}),
    ...(o.config ? { config: o.config } : {}),
    software: o.software,
    ...(o.sourceCatalogue ? { sourceCatalogue: o.sourceCatalogue } : {}),
    hasStac,
  });
  const path = join(datasetDir, CARD_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
  return { file: CARD_FILE, text };
}
