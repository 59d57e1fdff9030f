// Test-only: the published STAC JSON schemas shipped under test-data/stac-schemas/ (SOURCES.md says where
// each comes from), compiled with Ajv under the URLs they are published at, so an Item or Collection is
// checked against the core schema and the schema of every extension it lists, with no network.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const DIR = join(import.meta.dirname, '..', '..', 'test-data', 'stac-schemas');
const CORE = 'https://schemas.stacspec.org/v1.0.0/';
export const ITEM_SCHEMA = `${CORE}item-spec/json-schema/item.json`;
export const COLLECTION_SCHEMA = `${CORE}collection-spec/json-schema/collection.json`;

type Json = Record<string, unknown>;
const read = (rel: string): Json => JSON.parse(readFileSync(join(DIR, rel), 'utf8')) as Json;

/** Every shipped file under the URL it is published at (the file's own `$id` is replaced by that URL). */
function shippedSchemas(): Record<string, Json> {
  const feature = read('geojson/Feature.json');
  // geojson.org/schema/Geometry.json is not among the stored files: assembled from Feature.json's own
  // geometry alternatives (the six geometry types, no null, no GeometryCollection), see SOURCES.md.
  const featureGeometry = ((feature.properties as Json).geometry as { oneOf: Json[] }).oneOf;
  const geometry = { $schema: 'http://json-schema.org/draft-07/schema#', title: 'GeoJSON Geometry', oneOf: featureGeometry.filter((g) => g.type === 'object' && g.title !== 'GeoJSON GeometryCollection') };
  // The label v1.0.1 file as published names v1.0.0 in its $id and stac_extensions check (SOURCES.md).
  const label = JSON.parse(JSON.stringify(read('extensions/label-v1.0.1.json')).replaceAll('label/v1.0.0/schema.json', 'label/v1.0.1/schema.json')) as Json;
  return {
    [ITEM_SCHEMA]: read('stac-spec-v1.0.0/item.json'),
    [`${CORE}item-spec/json-schema/basics.json`]: read('stac-spec-v1.0.0/basics.json'),
    [`${CORE}item-spec/json-schema/datetime.json`]: read('stac-spec-v1.0.0/datetime.json'),
    [`${CORE}item-spec/json-schema/instrument.json`]: read('stac-spec-v1.0.0/instrument.json'),
    [`${CORE}item-spec/json-schema/licensing.json`]: read('stac-spec-v1.0.0/licensing.json'),
    [`${CORE}item-spec/json-schema/provider.json`]: read('stac-spec-v1.0.0/provider.json'),
    [COLLECTION_SCHEMA]: read('stac-spec-v1.0.0/collection.json'),
    'https://geojson.org/schema/Feature.json': feature,
    'https://geojson.org/schema/Geometry.json': geometry,
    // Not shipped: proj:projjson is never written by the catalog; any value passes here (SOURCES.md).
    'https://proj.org/schemas/v0.5/projjson.schema.json': {},
    'https://stac-extensions.github.io/label/v1.0.1/schema.json': label,
    'https://stac-extensions.github.io/projection/v1.0.0/schema.json': read('extensions/projection-v1.0.0.json'),
    'https://stac-extensions.github.io/raster/v1.0.0/schema.json': read('extensions/raster-v1.0.0.json'),
    'https://stac-extensions.github.io/eo/v1.0.0/schema.json': read('extensions/eo-v1.0.0.json'),
    'https://stac-extensions.github.io/file/v2.1.0/schema.json': read('extensions/file-v2.1.0.json'),
  };
}

let ajv: Ajv | undefined;
function compiler(): Ajv {
  if (ajv) return ajv;
  // unicodeRegExp off: the file extension's local_path pattern has an escape (\:) that the u flag refuses.
  ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
  addFormats(ajv);
  // STAC's formats beyond ajv-formats: an IRI (a scheme and no blanks) and an IRI reference (no blanks).
  ajv.addFormat('iri', /^[a-z][a-z0-9+.-]*:[^\s]*$/i);
  ajv.addFormat('iri-reference', /^[^\s]*$/);
  for (const [url, schema] of Object.entries(shippedSchemas())) ajv.addSchema({ ...schema, $id: url }, url);
  return ajv;
}

const formatErrors = (errors: readonly ErrorObject[] | null | undefined): string =>
  (errors ?? []).slice(0, 8).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`).join('; ');

/**
 * The problems of a STAC Item or Collection against the core schema and each schema in its
 * stac_extensions (an extension without a shipped schema is a problem too); empty when valid.
 */
export function stacProblems(doc: { type?: unknown; stac_extensions?: unknown }): string[] {
  const a = compiler();
  const core = doc.type === 'Collection' ? COLLECTION_SCHEMA : ITEM_SCHEMA;
  const urls = [core, ...(Array.isArray(doc.stac_extensions) ? (doc.stac_extensions as string[]) : [])];
  const out: string[] = [];
  for (const url of urls) {
    const v: ValidateFunction | undefined = a.getSchema(url);
    if (!v) {
      out.push(`${url}: no schema shipped for it`);
      continue;
    }
    if (!v(doc)) out.push(`${url}: ${formatErrors(v.errors)}`);
  }
  return out;
}
