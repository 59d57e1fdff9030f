// hls-chips dataset split|stats|weights|distribution|all: the original's analytics scripts
// (split_training_data, calc_band_mean_sd, calc_class_weights, generate_class_distribution) over
// <dataset>/chips_filtered/, each usable alone. Logic: @hls/analytics.
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { resolveDatasetDir, type DatasetFlags } from './chip.ts';
import { fraction, wholeNumber } from '../options.ts';

type SplitFlags = DatasetFlags & { seed?: number; trainFraction?: number };

/** Seed and fraction from flags, else the config's split section (default 42, 0.8). */
async function splitSettings(o: SplitFlags): Promise<{ seed: number; trainFraction: number }> {
  if (o.seed !== undefined && o.trainFraction !== undefined) return { seed: o.seed, trainFraction: o.trainFraction };
  const { loadConfig } = await import('@hls/config');
  const c = loadConfig({ file: o.config });
  return { seed: o.seed ?? c.split.seed, trainFraction: o.trainFraction ?? c.split.train_fraction };
}

const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`);

/** The dataset dir from the argument or the flags; it must exist (a typo must not pass as an empty dataset). */
async function existingDatasetDir(dirArg: string | undefined, o: DatasetFlags): Promise<string> {
  const dir = dirArg ?? (await resolveDatasetDir(o));
  if (!existsSync(dir)) throw new Error(`${dir}: no such dataset directory`);
  return dir;
}

export function register(program: Command): void {
  const ds = program.command('dataset').description('dataset analytics over <dataset>/chips_filtered/: split, band statistics, class weights, class distribution');
  const common = (c: Command) => c.option('--dataset <dir>', 'dataset dir (default: from the config)').option('--config <file>', 'config YAML (the original keys)');
  const splitOpts = (c: Command) =>
    c.option('--seed <n>', 'shuffle seed (numpy RandomState semantics; default config split.seed, 42)', wholeNumber()).option('--train-fraction <f>', 'training share (default config split.train_fraction, 0.8)', fraction);

  splitOpts(common(ds.command('split')))
    .description('shuffle the accepted chip ids with the seed and split them: train_ids.csv / val_ids.csv (header ids) and training_data.txt / validation_data.txt')
    .action(async (o: SplitFlags) => {
      const dir = await resolveDatasetDir(o);
      const { writeSplit } = await import('@hls/analytics');
      const r = await writeSplit(dir, await splitSettings(o));
      print({ dataset: dir, train: r.train.length, val: r.val.length, files: r.files });
    });

  common(ds.command('stats'))
    .description('per band over its 3 dates: mean, std, min/max after clipping at the 1.5 / 98.5 percentiles: band_stats/band_values_<n>.txt and .npy, global_stats.txt')
    .action(async (o: DatasetFlags) => {
      const dir = await resolveDatasetDir(o);
      const { writeBandStats } = await import('@hls/analytics');
      const r = await writeBandStats(dir);
      print({ dataset: dir, stats: r.stats, files: r.files });
    });

  common(ds.command('weights'))
    .description("sklearn 'balanced' class weights over the classes present in the masks, normalised to sum 1, 0 for class 0: class_weights.csv")
    .action(async (o: DatasetFlags) => {
      const dir = await resolveDatasetDir(o);
      const { writeClassWeights } = await import('@hls/analytics');
      const r = await writeClassWeights(dir);
      print({ dataset: dir, weights: r.weights, files: r.files });
    });

  common(ds.command('distribution'))
    .description('per-chip class counts of the train and val chips (needs the split) and a PNG bar chart of each: training_dst.png and validation_dst.png at the dataset root (as the original), counts in plots/training_dst.csv, plots/validation_dst.csv')
    .action(async (o: DatasetFlags) => {
      const dir = await resolveDatasetDir(o);
      const { writeClassDistribution } = await import('@hls/analytics');
      const r = await writeClassDistribution(dir);
      print({ dataset: dir, files: r.files });
    });

  splitOpts(common(ds.command('all')))
    .description('track_chips.csv (when chip records exist), then split, stats, weights and distribution in one go')
    .action(async (o: SplitFlags) => {
      const dir = await resolveDatasetDir(o);
      const [{ assembleTrackChips }, { buildDataset }] = await Promise.all([import('@hls/chips'), import('@hls/analytics')]);
      const tracked = await assembleTrackChips(dir);
      const r = await buildDataset(dir, await splitSettings(o));
      print({ dataset: dir, tracked, train: r.train, val: r.val, files: r.files });
    });

  common(ds.command('stac').argument('[dataset-dir]', 'dataset dir (same as --dataset)'))
    .description(
      'the accepted chips as a STAC catalog: <dataset>/stac/collection.json and stac/items/<chip>.json (footprint, EPSG:5070 grid, ' +
        'assets with checksums and bands, dates, split, source granules). With --config, its dataset: section and the scene source it names go in too',
    )
    .action(async (dirArg: string | undefined, o: DatasetFlags) => {
      const dir = await existingDatasetDir(dirArg, o);
      const [{ loadConfig }, { software, sourceCatalogueOf, writeDatasetStac }] = await Promise.all([import('@hls/config'), import('@hls/dataset-stac')]);
      // The config's scene source is only claimed as the dataset's when a config is given.
      const c = o.config || process.env.HLS_CONFIG ? loadConfig({ file: o.config }) : undefined;
      const src = c ? sourceCatalogueOf(c) : {};
      const r = await writeDatasetStac(dir, {
        software: software(),
        ...(c?.dataset ? { describe: c.dataset } : {}),
        ...(src.catalogue ? { sourceCatalogue: src.catalogue } : {}),
        ...(src.itemUrl ? { sourceItemUrl: src.itemUrl } : {}),
      });
      print({ dataset: dir, items: r.items.length, skipped: r.skipped, files: r.files.length, collection: 'stac/collection.json' });
    });

  common(ds.command('card').argument('[dataset-dir]', 'dataset dir (same as --dataset)'))
    .description(
      'the dataset card <dataset>/README.md: chips by outcome and reason (track_chips.csv, chips_id.json), class distribution, split, band statistics, ' +
        'software version, how to load it (TerraTorch, pystac/rasterio). With --config: the config used (credentials removed), its dataset: section and scene source',
    )
    .action(async (dirArg: string | undefined, o: DatasetFlags) => {
      const dir = await existingDatasetDir(dirArg, o);
      const [{ loadConfig }, { withoutSecrets }, { software, sourceCatalogueOf, writeDatasetCard }] = await Promise.all([import('@hls/config'), import('@hls/contracts'), import('@hls/dataset-stac')]);
      const c = o.config || process.env.HLS_CONFIG ? loadConfig({ file: o.config }) : undefined;
      const src = c ? sourceCatalogueOf(c) : {};
      const r = await writeDatasetCard(dir, {
        software: software(),
        ...(c ? { config: withoutSecrets(c) } : {}),
        ...(c?.dataset ? { describe: c.dataset } : {}),
        ...(src.catalogue ? { sourceCatalogue: src.catalogue } : {}),
      });
      print({ dataset: dir, file: r.file });
    });
}
