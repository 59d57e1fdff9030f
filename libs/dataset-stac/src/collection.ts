// The dataset's STAC Collection: extent from its items, the classes (label extension), the split,
// band statistics from global_stats.txt, license / citation / description from the config.
import { CLASS_NAMES, REFLECTANCE_BANDS } from '@hls/contracts';
import { EO_BAND_INFO, type RasterBand } from './bands.ts';
import type { GlobalStats } from './dataset-facts.ts';
import type { StacItem, StacLink } from './item.ts';
import { JSON_MEDIA_TYPE, STAC_EXTENSIONS, STAC_VERSION } from './stac-versions.ts';

/** The optional `dataset` section of the config. */
export interface DatasetDescription {
  title?: string;
  description?: string;
  /** SPDX id, `various` or `proprietary` (STAC's license field). */
  license?: string;
  citation?: string;
  keywords?: string[];
}

export interface StacCollection {
  type: 'Collection';
  stac_version: string;
  stac_extensions: string[];
  id: string;
  title?: string;
  description: string;
  keywords?: string[];
  license: string;
  providers: { name: string; roles: string[]; url?: string; description?: string }[];
  extent: { spatial: { bbox: number[][] }; temporal: { interval: (string | null)[][] } };
  summaries: Record<string, unknown>;
  links: StacLink[];
  [key: string]: unknown;
}

export interface CollectionInputs {
  id: string;
  items: readonly { item: StacItem; href: string }[];
  stats?: GlobalStats;
  describe?: DatasetDescription;
  /** The software that wrote it: `hls-crop-chips 0.1.0`. */
  software: { name: string; version: string };
  /** The source scenes' catalogue (STAC API root or catalog), when known. */
  sourceCatalogue?: string;
}

const DEFAULT_DESCRIPTION =
  'Multi-temporal crop-classification training chips: 224 x 224 px at 30 m on the USDA Cropland Data Layer grid (EPSG:5070), ' +
  '18 bands of NASA HLS S30 v2.0 reflectance (B02 B03 B04 B8A B11 B12 at 3 dates of the growing season), a 3-band Fmask chip ' +
  'and a 14-class label mask reclassified from the CDL.';

/** raster:bands statistics per reflectance band: mean and std over the 3 dates; min/max are the 1.5 / 98.5 percentiles. */
export function bandStatistics(stats: GlobalStats): (RasterBand & { name: string })[] {
  return REFLECTANCE_BANDS.map((b, i) => ({
    name: b,
    data_type: 'int16',
    statistics: { mean: stats.mean[i]!, stddev: stats.std[i]!, minimum: stats.min[i]!, maximum: stats.max[i]! },
  }));
}

export function datasetCollection(c: CollectionInputs): StacCollection {
  const boxes = c.items.map((x) => x.item.bbox);
  const starts = c.items.map((x) => String(x.item.properties.start_datetime)).sort();
  const ends = c.items.map((x) => String(x.item.properties.end_datetime)).sort();
  const bbox = boxes.length
    ? [[Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])), Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3]))]]
    : [[-180, -90, 180, 90]];
  const splits = { train: 0, val: 0 };
  for (const x of c.items) if (x.item.properties.split === 'train' || x.item.properties.split === 'val') splits[x.item.properties.split] += 1;
  const links: StacLink[] = [
    { rel: 'root', href: './collection.json', type: JSON_MEDIA_TYPE },
    ...c.items.map((x) => ({ rel: 'item', href: x.href, type: 'application/geo+json', title: x.item.id })),
  ];
  if (c.sourceCatalogue) links.push({ rel: 'via', href: c.sourceCatalogue, title: 'Source HLS scenes (STAC)' });
  const summaries: Record<string, unknown> = {
    'proj:epsg': [5070],
    'eo:bands': REFLECTANCE_BANDS.map((b) => ({ name: b, ...EO_BAND_INFO[b] })),
    'label:type': ['raster'],
    'label:tasks': ['segmentation'],
    'label:classes': [{ name: null, classes: CLASS_NAMES.map((_, v) => v) }],
    split: ['train', 'val'],
  };
  if (c.stats) summaries['raster:bands'] = bandStatistics(c.stats);
  const d = c.describe ?? {};
  return {
    type: 'Collection',
    stac_version: STAC_VERSION,
    stac_extensions: [STAC_EXTENSIONS.label, STAC_EXTENSIONS.projection, STAC_EXTENSIONS.raster, STAC_EXTENSIONS.eo],
    id: c.id,
    title: d.title ?? `HLS crop-classification chips: ${c.id}`,
    description: d.description ?? DEFAULT_DESCRIPTION,
    keywords: d.keywords ?? ['HLS', 'Cropland Data Layer', 'crop classification', 'segmentation', 'multi-temporal'],
    license: d.license ?? 'various',
    providers: [
      { name: 'NASA LP DAAC', roles: ['producer', 'licensor'], url: 'https://lpdaac.usgs.gov/products/hlss30v002/', description: 'HLS S30 v2.0 reflectance and Fmask' },
      { name: 'USDA NASS', roles: ['producer', 'licensor'], url: 'https://www.nass.usda.gov/Research_and_Science/Cropland/SARS1a.php', description: 'Cropland Data Layer (labels)' },
      { name: `${c.software.name} ${c.software.version}`, roles: ['processor'] },
    ],
    extent: { spatial: { bbox }, temporal: { interval: [[starts[0] ?? null, ends[ends.length - 1] ?? null]] } },
    summaries,
    // The class names of the label values, the split sizes and the citation: plain collection fields.
    'hls:classes': CLASS_NAMES.map((name, value) => ({ value, name })),
    'hls:split': splits,
    ...(d.citation ? { citation: d.citation } : {}),
    links,
  };
}
