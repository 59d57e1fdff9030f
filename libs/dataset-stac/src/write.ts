// Writes <dataset>/stac/: collection.json and items/<chip>.json for the accepted chips; items of chips
// no longer accepted are removed, so the catalog always matches the dataset it sits in.
import { access, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { quicklookPaths } from '@hls/chips';
import { forEachInWindow } from '@hls/common';
import { join } from 'node:path';
import { fileFacts } from './checksum.ts';
import { datasetCollection, type DatasetDescription, type StacCollection } from './collection.ts';
import { readDatasetFacts, type DatasetFacts } from './dataset-facts.ts';
import { chipItem, type StacItem } from './item.ts';
import { COLLECTION_FILE, ITEMS_DIR, STAC_DIR } from './stac-versions.ts';

export interface WriteStacOptions {
  /** The chips to describe (a run's accepted chips); default: every chip in chips_filtered/. */
  chipIds?: readonly string[];
  describe?: DatasetDescription;
  software: { name: string; version: string };
  /** STAC API root or catalog the scenes were searched in (a `via` link). */
  sourceCatalogue?: string;
  /** A granule's source STAC item URL (`derived_from` links), when known. */
  sourceItemUrl?: (granuleId: string) => string | undefined;
}

export interface WrittenStac {
  /** Null when there is no chip to describe (nothing is written, an old stac/ is removed). */
  collection: StacCollection | null;
  items: StacItem[];
  /** Relative to the dataset dir. */
  files: string[];
  skipped: DatasetFacts['skipped'];
}

/** Items written at once. */
const ITEM_WINDOW = 8;

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2) + '\n');
  await rename(tmp, path);
}

export async function writeDatasetStac(datasetDir: string, o: WriteStacOptions): Promise<WrittenStac> {
  const facts = await readDatasetFacts(datasetDir, o.chipIds ? { chipIds: o.chipIds } : {});
  const stacDir = join(datasetDir, STAC_DIR);
  const itemsDir = join(stacDir, ITEMS_DIR);
  if (facts.chips.length === 0) {
    // No chip to describe: an earlier run's catalog must not pass for this one's.
    await rm(stacDir, { recursive: true, force: true });
    return { collection: null, items: [], files: [], skipped: facts.skipped };
  }
  await mkdir(itemsDir, { recursive: true });
  // Each item hashes its three files and checks its quick-looks: a few file round trips, made 8 chips at a
  // time (one after another they were most of the dataset step's STAC time); the items keep the chips' order.
  const items: { item: StacItem; href: string }[] = new Array(facts.chips.length);
  const abs = (f: string) => join(datasetDir, f);
  await forEachInWindow(facts.chips.entries(), async ([i, chip]) => {
    const [merged, mask, fmask] = await Promise.all([fileFacts(abs(chip.files.merged)), fileFacts(abs(chip.files.mask)), fileFacts(abs(chip.files.fmask))]);
    const looks = quicklookPaths(chip.chipId);
    const haveLooks = (await Promise.all([...looks.dates, looks.mask].map((f) => access(abs(f)).then(() => true, () => false)))).every(Boolean);
    const item = chipItem({
      chip,
      collectionId: facts.name,
      files: { merged, mask, fmask },
      sources: facts.sources,
      toDataset: '../../',
      toCollection: `../${COLLECTION_FILE}`,
      ...(o.sourceItemUrl ? { sourceItemUrl: o.sourceItemUrl } : {}),
      ...(haveLooks ? { quicklooks: looks } : {}),
    });
    await writeJsonAtomic(join(itemsDir, `${chip.chipId}.json`), item);
    items[i] = { item, href: `./${ITEMS_DIR}/${chip.chipId}.json` };
  }, ITEM_WINDOW);
  const keep = new Set(items.map((x) => `${x.item.id}.json`));
  for (const n of await readdir(itemsDir)) if (n.endsWith('.json') && !keep.has(n)) await rm(join(itemsDir, n), { force: true });
  const collection = datasetCollection({
    id: facts.name,
    items,
    ...(facts.stats ? { stats: facts.stats } : {}),
    ...(o.describe ? { describe: o.describe } : {}),
    software: o.software,
    ...(o.sourceCatalogue ? { sourceCatalogue: o.sourceCatalogue } : {}),
  });
  await writeJsonAtomic(join(stacDir, COLLECTION_FILE), collection);
  return {
    collection,
    items: items.map((x) => x.item),
    files: [join(STAC_DIR, COLLECTION_FILE), ...items.map((x) => join(STAC_DIR, ITEMS_DIR, `${x.item.id}.json`))],
    skipped: facts.skipped,
  };
}
