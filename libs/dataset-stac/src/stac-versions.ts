// The STAC version and extension schemas the catalog follows, in one place (the tests validate against
// the same schema files, shipped under test-data/stac-schemas/, see its SOURCES.md).
export const STAC_VERSION = '1.0.0';

export const STAC_EXTENSIONS = {
  label: 'https://stac-extensions.github.io/label/v1.0.1/schema.json',
  projection: 'https://stac-extensions.github.io/projection/v1.0.0/schema.json',
  raster: 'https://stac-extensions.github.io/raster/v1.0.0/schema.json',
  eo: 'https://stac-extensions.github.io/eo/v1.0.0/schema.json',
  file: 'https://stac-extensions.github.io/file/v2.1.0/schema.json',
} as const;

export const GEOTIFF_MEDIA_TYPE = 'image/tiff; application=geotiff';
/** The merged chips are written as COGs (libs/chips clip.ts). */
export const COG_MEDIA_TYPE = 'image/tiff; application=geotiff; profile=cloud-optimized';
export const JSON_MEDIA_TYPE = 'application/json';

/** Where the catalog goes, relative to the dataset dir: `stac/collection.json`, `stac/items/<chip>.json`. */
export const STAC_DIR = 'stac';
export const COLLECTION_FILE = 'collection.json';
export const ITEMS_DIR = 'items';
