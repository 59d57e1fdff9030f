// One STAC Item per accepted chip: footprint in EPSG:4326, the chip's grid in proj:, the merged image, the
// label mask and the Fmask chip as assets with their checksums and bands, the three scenes' time span, the
// split, and where the pixels came from (granule ids, band links and CIDs, derived_from the source items).
import { CDL_GRID, CLASS_NAMES, parseGranuleId, type BBox } from '@hls/contracts';
import { transformPoint } from '@hls/geo';
import { CHIP_SHAPE, fmaskEoBands, fmaskRasterBands, maskRasterBands, mergedEoBands, mergedRasterBands, type EoBand, type RasterBand } from './bands.ts';
import type { FileFacts } from './checksum.ts';
import type { ChipFacts, SourceScene } from './dataset-facts.ts';
import { COG_MEDIA_TYPE, GEOTIFF_MEDIA_TYPE, JSON_MEDIA_TYPE, STAC_EXTENSIONS, STAC_VERSION } from './stac-versions.ts';

export interface StacLink {
  rel: string;
  href: string;
  type?: string;
  title?: string;
}
export interface StacAsset {
  href: string;
  type?: string;
  title?: string;
  description?: string;
  roles?: string[];
  'eo:bands'?: EoBand[];
  'raster:bands'?: RasterBand[];
  'file:checksum'?: string;
  'file:size'?: number;
}
export interface StacItem {
  type: 'Feature';
  stac_version: string;
  stac_extensions: string[];
  id: string;
  collection: string;
  geometry: { type: 'Polygon'; coordinates: [number, number][][] };
  bbox: [number, number, number, number];
  properties: Record<string, unknown>;
  links: StacLink[];
  assets: Record<string, StacAsset>;
}

/** The instant a granule was sensed, from its id (`2022152T170851` = day 152 of 2022, 17:08:51 UTC). */
export function granuleInstant(granuleId: string): string {
  const m = /\.(\d{4})(\d{3})T(\d{2})(\d{2})(\d{2})\./.exec(granuleId);
  if (!m) throw new Error(`granule id ${granuleId}: no sensing time in it`);
  const [, y, doy, hh, mm, ss] = m.map(Number) as [number, number, number, number, number, number];
  return new Date(Date.UTC(y, 0, doy, hh, mm, ss)).toISOString().replace('.000Z', 'Z');
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

/** The chip's corners in EPSG:4326 (lon, lat), counter-clockwise, closed; and their bbox. */
export function chipFootprint(bbox5070: BBox): { geometry: StacItem['geometry']; bbox: StacItem['bbox'] } {
  const [minX, minY, maxX, maxY] = bbox5070;
  const ring = ([[minX, minY], [maxX, minY], [maxX, maxY], [minX, maxY]] as const).map((p) => {
    const [lon, lat] = transformPoint(p, CDL_GRID.epsg, 4326);
    return [round(lon, 7), round(lat, 7)] as [number, number];
  });
  const lons = ring.map((p) => p[0]);
  const lats = ring.map((p) => p[1]);
  return {
    geometry: { type: 'Polygon', coordinates: [[...ring, ring[0]!]] },
    bbox: [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)],
  };
}

export interface ItemInputs {
  chip: ChipFacts;
  collectionId: string;
  /** file:checksum / file:size of the merged, mask and fmask files. */
  files: { merged: FileFacts; mask: FileFacts; fmask: FileFacts };
  sources: ReadonlyMap<string, SourceScene>;
  /** Hrefs relative to the item file: how to reach the dataset dir (`../../`) and the collection. */
  toDataset: string;
  toCollection: string;
  /** The source STAC item of a granule, when the catalogue it came from is known. */
  sourceItemUrl?: (granuleId: string) => string | undefined;
  /** The chip's quick-look PNGs (relative to the dataset dir), when they were written. */
  quicklooks?: { dates: string[]; mask: string };
}

export function chipItem(i: ItemInputs): StacItem {
  const { chip } = i;
  const dates = chip.scenes.map((s) => s.date);
  const granules = chip.scenes.map((s) => String(s.granuleId));
  const instants = granules.map(granuleInstant);
  const [minX, minY, maxX, maxY] = chip.bbox5070;
  const px = CDL_GRID.pixelSize;
  const sources = granules.map((g, t) => {
    const bands = i.sources.get(g) ?? {};
    const src: Record<string, unknown> = { granule_id: g, datetime: instants[t], tile_id: parseGranuleId(g).tileId };
    if (Object.keys(bands).length > 0) src.bands = bands;
    return src;
  });
  const properties: Record<string, unknown> = {
    datetime: null,
    start_datetime: instants[0],
    end_datetime: instants[instants.length - 1],
    'proj:epsg': CDL_GRID.epsg,
    'proj:shape': CHIP_SHAPE,
    'proj:bbox': [minX, minY, maxX, maxY],
    // Affine order a, b, c, d, e, f: x = a*col + b*row + c, y = d*col + e*row + f.
    'proj:transform': [px, 0, minX, 0, -px, maxY],
    'label:properties': null,
    'label:type': 'raster',
    'label:description': 'USDA Cropland Data Layer reclassified to 14 classes (0 = no data)',
    'label:tasks': ['segmentation'],
    'label:methods': ['automated'],
    'label:classes': [{ name: null, classes: CLASS_NAMES.map((_, v) => v) }],
    ...(chip.classCounts
      ? { 'label:overviews': [{ counts: chip.classCounts.map((count, v) => ({ name: CLASS_NAMES[v] ?? String(v), count })) }] }
      : {}),
    ...(chip.split ? { split: chip.split } : {}),
    'hls:tile_id': parseGranuleId(granules[0]!).tileId,
    'hls:acquisition_dates': dates,
    'hls:granule_ids': granules,
    'hls:sources': sources,
  };
  const links: StacLink[] = [
    { rel: 'root', href: i.toCollection, type: JSON_MEDIA_TYPE },
    { rel: 'parent', href: i.toCollection, type: JSON_MEDIA_TYPE },
    { rel: 'collection', href: i.toCollection, type: JSON_MEDIA_TYPE },
  ];
  for (const g of granules) {
    const href = i.sourceItemUrl?.(g);
    if (href) links.push({ rel: 'derived_from', href, type: 'application/geo+json', title: g });
  }
  const looks: Record<string, StacAsset> = {};
  if (i.quicklooks) {
    for (const [t, rel] of i.quicklooks.dates.entries()) {
      looks[`quicklook_t${t + 1}`] = { href: i.toDataset + rel, type: 'image/png', title: `True colour (B04 B03 B02), ${dates[t] ?? `date ${t + 1}`}`, roles: t === 0 ? ['thumbnail', 'overview'] : ['overview'] };
    }
    looks.quicklook_mask = { href: i.toDataset + i.quicklooks.mask, type: 'image/png', title: 'Crop class mask in the class colours', roles: ['overview'] };
  }
  return {
    type: 'Feature',
    stac_version: STAC_VERSION,
    stac_extensions: [STAC_EXTENSIONS.label, STAC_EXTENSIONS.projection, STAC_EXTENSIONS.raster, STAC_EXTENSIONS.eo, STAC_EXTENSIONS.file],
    id: chip.chipId,
    collection: i.collectionId,
    ...chipFootprint(chip.bbox5070),
    properties,
    links,
    assets: {
      merged: {
        href: i.toDataset + chip.files.merged,
        type: COG_MEDIA_TYPE,
        title: '18-band HLS reflectance, 3 dates x B02 B03 B04 B8A B11 B12',
        roles: ['data'],
        'eo:bands': mergedEoBands(dates),
        'raster:bands': mergedRasterBands(),
        ...i.files.merged,
      },
      mask: {
        href: i.toDataset + chip.files.mask,
        type: GEOTIFF_MEDIA_TYPE,
        title: 'Crop class mask (reclassified CDL)',
        description: `UInt8 class values 0..${CLASS_NAMES.length - 1}: ${CLASS_NAMES.map((n, v) => `${v} ${n}`).join(', ')}; 0 = no data`,
        roles: ['labels', 'labels-raster'],
        'raster:bands': maskRasterBands(),
        ...i.files.mask,
      },
      fmask: {
        href: i.toDataset + chip.files.fmask,
        type: GEOTIFF_MEDIA_TYPE,
        title: 'HLS Fmask of the 3 dates',
        roles: ['metadata', 'cloud'],
        'eo:bands': fmaskEoBands(dates),
        'raster:bands': fmaskRasterBands(),
        ...i.files.fmask,
      },
      ...looks,
    },
  };
}
