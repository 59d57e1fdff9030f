// Output layout and file names, the same as the original pipeline's (DESIGN.md), in one place.
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import type { Band } from './domain.ts';
import type { ChipId, GranuleId } from './ids.ts';

export const DATASET_FILES = {
  chipsId: 'chips_id.json',
  chipsTable: 'chips_df.csv',
  tileChoiceReport: 'tile_choice_report.csv',
  selectedTiles: 'selected_tiles.csv',
  tilePayloads: 'tile_payloads.json',
  trackChips: 'track_chips.csv',
  trackTiles: 'track_tiles.csv',
  trainIds: 'train_ids.csv',
  valIds: 'val_ids.csv',
  trainingData: 'training_data.txt',
  validationData: 'validation_data.txt',
  globalStats: 'global_stats.txt',
  classWeights: 'class_weights.csv',
  missingCids: 'missing_cids.json',
  /** Class distribution plots at the dataset root, where generate_class_distribution.py writes them. */
  trainingDistributionPlot: 'training_dst.png',
  validationDistributionPlot: 'validation_dst.png',
} as const;

export const DATASET_DIRS = {
  tiles: 'tiles',
  reprojected: 'tiles_reprojected',
  chips: 'chips',
  fmask: 'chips_fmask',
  filtered: 'chips_filtered',
  /** Quick-look PNGs of the clipped chips (optional, config `quicklooks`). */
  quicklooks: 'chips_quicklook',
  bandStats: 'band_stats',
  plots: 'plots',
} as const;

/** `<data_dir>/training_datasets/<train_dataset_name>` */
export const datasetDir = (dataDir: string, datasetName: string): string => join(dataDir, 'training_datasets', datasetName);

export const bandFileName = (granule: GranuleId, band: Band): string => `${granule}.${band}.tif`;
/** Relative to the dataset dir: `tiles/<granule>/<granule>.<band>.tif`. */
export const tileBandPath = (granule: GranuleId, band: Band): string => join(DATASET_DIRS.tiles, granule, bandFileName(granule, band));
/** Relative to the dataset dir: `tiles_reprojected/<granule>.<band>.tif`. */
export const reprojectedBandPath = (granule: GranuleId, band: Band): string => join(DATASET_DIRS.reprojected, bandFileName(granule, band));
export const mergedChipPath = (chip: ChipId): string => join(DATASET_DIRS.chips, `${chip}_merged.tif`);
export const maskChipPath = (chip: ChipId): string => join(DATASET_DIRS.chips, `${chip}.mask.tif`);
export const fmaskChipPath = (chip: ChipId): string => join(DATASET_DIRS.fmask, `${chip}_Fmask.tif`);
export const filteredChipPath = (file: string): string => join(DATASET_DIRS.filtered, file);
/** The quick-looks of a chip: true colour of date 1..3, and the mask. */
export const QUICKLOOK_VIEWS = ['t1', 't2', 't3', 'mask'] as const;
export type QuicklookView = (typeof QUICKLOOK_VIEWS)[number];
/** Relative to the dataset dir: `chips_quicklook/<chip>_<view>.png`. */
export const quicklookPath = (chip: string, view: QuicklookView): string => join(DATASET_DIRS.quicklooks, `${chip}_${view}.png`);

/**
 * A band file path taken from an event, resolved against the dataset dir, or null when it is not a file of
 * that granule and band inside the dataset dir or one of the run's granule folders (`roots`). Events are
 * input: a path like `../../etc/passwd` or another band's file must never be read.
 */
export function confinedBandPath(datasetDir: string, path: string, granule: GranuleId, band: Band, roots: readonly string[] = []): string | null {
  const abs = resolve(datasetDir, path);
  if (basename(abs) !== bandFileName(granule, band)) return null;
  const inside = (root: string): boolean => {
    const r = relative(resolve(root), abs);
    return r !== '' && !r.startsWith('..') && !isAbsolute(r);
  };
  return [datasetDir, ...roots].some(inside) ? abs : null;
}
