// ECHO10 granule metadata (.cmr.xml): the HLS production copy and the copy CMR serves. Files may start
// with a blank line and have no XML declaration. Entity expansion is off and any DTD is refused: a
// granule document never needs one, and a DTD is how entity bombs and external entities get in.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { MetadataError } from './errors.ts';
import { addBandFile, addBandLink, newGranule, percent } from './granule.ts';
import type { GranuleMetadata } from './granule.ts';

const ARRAYS = new Set([
  'Granule.AdditionalAttributes.AdditionalAttribute',
  'Granule.AdditionalAttributes.AdditionalAttribute.Values.Value',
  'Granule.OnlineAccessURLs.OnlineAccessURL',
  'Granule.DataGranule.AdditionalFile',
  'Granule.OnlineResources.OnlineResource',
  'Granule.Spatial.HorizontalSpatialDomain.Geometry.GPolygon',
  'Granule.Spatial.HorizontalSpatialDomain.Geometry.GPolygon.Boundary.Point',
]);

const parser = new XMLParser({
  ignoreAttributes: true,
  processEntities: false,
  htmlEntities: false,
  // Keep every value a string: "03.00", "2.0" and ids must not become numbers.
  parseTagValue: false,
  trimValues: true,
  isArray: (_name, jpath) => ARRAYS.has(String(jpath)),
});

/** Max document size: real granule documents are ~10-30 kB. */
const MAX_XML_BYTES = 5 * 1024 * 1024;

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/**
 * Entity processing is off in the parser, so the five predefined entities and character references
 * (`&amp;` in URL query strings) are decoded here; nothing else is, and nothing is expanded twice.
 */
export function decodeXmlText(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/g, (m, e: string) => {
    if (e[0] !== '#') return XML_ENTITIES[e] ?? m;
    const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });
}
const text = (v: unknown): string | undefined => (typeof v === 'string' ? decodeXmlText(v) : typeof v === 'number' ? String(v) : undefined);

/** AdditionalAttributes as name -> values (multi-valued attributes keep every value, in order). */
export function echo10Attributes(granule: Node): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const list = isNode(granule.AdditionalAttributes) ? granule.AdditionalAttributes.AdditionalAttribute : undefined;
  if (!Array.isArray(list)) return out;
  for (const a of list) {
    if (!isNode(a)) continue;
    const name = text(a.Name);
    if (!name) continue;
    const values = isNode(a.Values) && Array.isArray(a.Values.Value) ? a.Values.Value.map(text).filter((v): v is string => v !== undefined) : [];
    out.set(name, values);
  }
  return out;
}

/** Parse ECHO10 XML text into its `<Granule>` node, with clear errors for malformed or hostile input. */
export function parseEcho10(xml: string, source: string): Node {
  if (xml.length > MAX_XML_BYTES) throw new MetadataError(source, `XML is ${xml.length} bytes, over the ${MAX_XML_BYTES}-byte limit for a granule document`);
  const body = xml.replace(/^\uFEFF/, '');
  if (/<!DOCTYPE|<!ENTITY/i.test(body)) {
    throw new MetadataError(source, 'XML declares a DOCTYPE/ENTITY; refused (granule metadata never needs a DTD, and entity expansion is disabled)');
  }
  const valid = XMLValidator.validate(body.trim());
  if (valid !== true) {
    throw new MetadataError(source, `malformed XML at line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`);
  }
  let doc: unknown;
  try {
    doc = parser.parse(body);
  } catch (e) {
    throw new MetadataError(source, `malformed XML: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const granule = isNode(doc) ? doc.Granule : undefined;
  if (!isNode(granule)) throw new MetadataError(source, 'not an ECHO10 granule: no <Granule> root element');
  return granule;
}

/**
 * Read an ECHO10 granule: GranuleUR, CLOUD_COVERAGE, SPATIAL_COVERAGE, SENSING_TIME (first value when
 * several; L30 granules list one per Landsat scene), MGRS_TILE_ID, and the band links of OnlineAccessURLs.
 */
export function readEcho10(xml: string, source: string): GranuleMetadata {
  const g = parseEcho10(xml, source);
  const granuleId = text(g.GranuleUR)?.trim();
  if (!granuleId) throw new MetadataError(source, 'missing <GranuleUR>', { field: 'GranuleUR' });
  const meta = newGranule(granuleId, 'echo10', source);
  const attrs = echo10Attributes(g);
  const one = (name: string): string | undefined => {
    const v = attrs.get(name);
    if (v === undefined) return undefined;
    if (v.length === 0) throw new MetadataError(source, `AdditionalAttribute ${name} has no value`, { granuleId, field: name });
    return v[0];
  };
  meta.cloudCover = percent(one('CLOUD_COVERAGE'), source, granuleId, 'CLOUD_COVERAGE');
  meta.spatialCoverage = percent(one('SPATIAL_COVERAGE'), source, granuleId, 'SPATIAL_COVERAGE');
  const tile = one('MGRS_TILE_ID');
  if (tile !== undefined) meta.tileId = tile;
  const sensing = one('SENSING_TIME');
  if (sensing !== undefined) {
    if (Number.isNaN(Date.parse(sensing))) throw new MetadataError(source, `SENSING_TIME is not a time: ${JSON.stringify(sensing)}`, { granuleId, field: 'SENSING_TIME' });
    meta.sensingTime = sensing;
  }
  const ring = echo10Footprint(g);
  if (ring) meta.footprint = ring;
  const urls = isNode(g.OnlineAccessURLs) ? g.OnlineAccessURLs.OnlineAccessURL : undefined;
  for (const u of Array.isArray(urls) ? urls : []) {
    const href = isNode(u) ? text(u.URL)?.trim() : undefined;
    if (href) addBandLink(meta, href);
  }
  // LP DAAC adds each file's size and checksum (DataGranule/AdditionalFile) when it archives a granule.
  const files = isNode(g.DataGranule) ? g.DataGranule.AdditionalFile : undefined;
  for (const f of Array.isArray(files) ? files : []) {
    if (!isNode(f)) continue;
    const name = text(f.Name)?.trim();
    if (!name) continue;
    const size = text(f.SizeInBytes);
    const ck = isNode(f.Checksum) ? f.Checksum : undefined;
    const value = ck ? text(ck.Value)?.trim() : undefined;
    const algorithm = ck ? text(ck.Algorithm)?.trim() : undefined;
    addBandFile(meta, name, size !== undefined && /^\d+$/.test(size.trim()) ? Number(size) : undefined, value && algorithm ? { algorithm, value } : undefined);
  }
  const resources = isNode(g.OnlineResources) ? g.OnlineResources.OnlineResource : undefined;
  for (const r of Array.isArray(resources) ? resources : []) {
    const href = isNode(r) ? text(r.URL)?.trim() : undefined;
    if (href) addBandLink(meta, href);
  }
  return meta;
}

/** The first GPolygon boundary as a closed [lon, lat] ring (ECHO10 lists points clockwise, unclosed). */
export function echo10Footprint(granule: Node): [number, number][] | undefined {
  const spatial = isNode(granule.Spatial) ? granule.Spatial.HorizontalSpatialDomain : undefined;
  const geom = isNode(spatial) ? spatial.Geometry : undefined;
  const polys = isNode(geom) && Array.isArray(geom.GPolygon) ? geom.GPolygon : [];
  const first = polys[0];
  const points = isNode(first) && isNode(first.Boundary) && Array.isArray(first.Boundary.Point) ? first.Boundary.Point : [];
  const ring: [number, number][] = [];
  for (const p of points) {
    if (!isNode(p)) continue;
    const lon = Number(text(p.PointLongitude));
    const lat = Number(text(p.PointLatitude));
    if (Number.isFinite(lon) && Number.isFinite(lat)) ring.push([lon, lat]);
  }
  if (ring.length < 3) return undefined;
  // GeoJSON wants counter-clockwise exterior rings, closed.
  ring.reverse();
  ring.push([ring[0]![0], ring[0]![1]]);
  return ring;
}
