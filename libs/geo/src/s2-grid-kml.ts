// Sentinel-2 tiling grid from the ESA KML (S2A_OPER_GIP_TILPAR_MPC_..., 56,686 Placemarks, 108 MB).
// The file is streamed and parsed one Placemark at a time with fast-xml-parser, so memory stays at
// one chunk plus the compact tiles, never a DOM of the whole document.
import { createReadStream } from 'node:fs';
import { HlsError } from '@hls/common';
import { XMLParser } from 'fast-xml-parser';
import type { BBox } from '@hls/contracts';
import { isSupportedEpsg, utmZoneOf } from './crs.ts';

export interface S2Tile {
  /** MGRS tile name, e.g. `15TVG`. */
  name: string;
  /** EPSG code of the tile's UTM zone (326zz / 327zz). */
  epsg: number;
  /** Exact UTM footprint [minX, minY, maxX, maxY] from the description's UTM_WKT. */
  footprintUtm: BBox;
  /** Lon/lat outer ring(s); antimeridian tiles have two parts. Each ring is [lon, lat][] (Z dropped). */
  parts: [number, number][][];
  /** The KML's own centre Point [lon, lat]. */
  center: [number, number];
}

/** A tile grid file (KML, GeoParquet, its compact JSON form) that cannot be read as the Sentinel-2 grid. */
export class KmlError extends HlsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('grid-file', message, { retryable: false, cause: options?.cause });
  }
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => name === 'Polygon' || name === 'Point',
});

const TAG = /<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|<(\/?)([A-Za-z_][\w:.-]*)[^>]*?(\/?)>/g;

/**
 * Check that the elements of an XML fragment nest and close (CDATA and comments skipped): null when they
 * do, else what is wrong. Cheaper than a full validation pass, and the parser itself is lenient.
 */
export function tagBalance(xml: string): string | null {
  const stack: string[] = [];
  TAG.lastIndex = 0;
  for (let m = TAG.exec(xml); m; m = TAG.exec(xml)) {
    const name = m[2];
    if (!name) continue;
    if (m[1]) {
      const top = stack.pop();
      if (top !== name) return `</${name}> closes <${top ?? '(nothing)'}>`;
    } else if (!m[3]) stack.push(name);
  }
  return stack.length > 0 ? `<${stack[stack.length - 1]}> is not closed` : null;
}

/** KEY -> value from the description's HTML table (`<b>KEY</b></font></td><td ...> <font ...>VALUE</font>`). */
export function parseDescriptionTable(html: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /<b>\s*([A-Z_]+)\s*<\/b>[\s\S]*?<td[^>]*>\s*(?:<font[^>]*>)?\s*([^<]*?)\s*<\/font>/g;
  for (let m = re.exec(html); m; m = re.exec(html)) out.set(m[1] as string, m[2] as string);
  return out;
}

/** Bounding box of every coordinate pair in a WKT (POLYGON/MULTIPOLYGON) text. */
export function wktBounds(wkt: string): BBox | null {
  const nums = wkt.match(/-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/g);
  if (!nums || nums.length < 2 || nums.length % 2 !== 0 || !/^\s*(MULTI)?POLYGON\s*\(/i.test(wkt)) return null;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (let i = 0; i < nums.length; i += 2) {
    const x = Number(nums[i]);
    const y = Number(nums[i + 1]);
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return [minX, minY, maxX, maxY];
}

/** `lon,lat[,z] lon,lat[,z] ...` -> [lon, lat][] (null when a tuple is not numeric). */
export function parseKmlCoordinates(text: string): [number, number][] | null {
  const out: [number, number][] = [];
  for (const tuple of text.trim().split(/\s+/)) {
    if (!tuple) continue;
    const [xs, ys] = tuple.split(',');
    const x = Number(xs);
    const y = Number(ys);
    if (xs === undefined || ys === undefined || xs === '' || ys === '' || !Number.isFinite(x) || !Number.isFinite(y)) return null;
    out.push([x, y]);
  }
  return out;
}

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const asText = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

/** Parse one `<Placemark>...</Placemark>` text into a tile; throws KmlError naming the file and placemark. */
export function parsePlacemark(xml: string, file: string, ordinal: number): S2Tile {
  const where = (name: string | null) => `${file}: Placemark #${ordinal}${name ? ` (${name})` : ''}`;
  const unbalanced = tagBalance(xml);
  if (unbalanced) throw new KmlError(`${where(null)}: malformed XML: ${unbalanced}`);
  let doc: Node;
  try {
    doc = parser.parse(xml) as Node;
  } catch (e) {
    throw new KmlError(`${where(null)}: malformed XML: ${(e as Error).message}`);
  }
  const pm = doc.Placemark;
  if (!isNode(pm)) throw new KmlError(`${where(null)}: no Placemark element`);
  const name = asText(pm.name);
  if (!name) throw new KmlError(`${where(null)}: no <name>`);
  const desc = asText(pm.description);
  if (!desc) throw new KmlError(`${where(name)}: no <description>`);
  const table = parseDescriptionTable(desc);
  const epsgText = table.get('EPSG');
  const epsg = Number(epsgText);
  if (!epsgText || !Number.isInteger(epsg) || !isSupportedEpsg(epsg) || !utmZoneOf(epsg)) {
    throw new KmlError(`${where(name)}: description EPSG ${JSON.stringify(epsgText ?? null)} is not a UTM EPSG code`);
  }
  const wkt = table.get('UTM_WKT');
  const footprintUtm = wkt ? wktBounds(wkt) : null;
  if (!footprintUtm) throw new KmlError(`${where(name)}: description UTM_WKT ${JSON.stringify(wkt ?? null)} is not a polygon WKT`);
  const geom = pm.MultiGeometry;
  const holder = isNode(geom) ? geom : pm;
  const polys = Array.isArray(holder.Polygon) ? (holder.Polygon as unknown[]) : [];
  const parts: [number, number][][] = [];
  for (const p of polys) {
    const ring = isNode(p) && isNode(p.outerBoundaryIs) && isNode(p.outerBoundaryIs.LinearRing) ? asText(p.outerBoundaryIs.LinearRing.coordinates) : null;
    const coords = ring === null ? null : parseKmlCoordinates(ring);
    if (!coords || coords.length < 4) throw new KmlError(`${where(name)}: Polygon ${parts.length + 1} has no valid outer ring coordinates`);
    parts.push(coords);
  }
  if (parts.length === 0) throw new KmlError(`${where(name)}: no Polygon`);
  const points = Array.isArray(holder.Point) ? (holder.Point as unknown[]) : [];
  const pt = points[0];
  const c = isNode(pt) ? parseKmlCoordinates(asText(pt.coordinates) ?? '') : null;
  const center = c?.[0];
  if (!center) throw new KmlError(`${where(name)}: no centre <Point> coordinates`);
  return { name, epsg, footprintUtm, parts, center };
}

const OPEN = Buffer.from('<Placemark');
const CLOSE = Buffer.from('</Placemark>');

/**
 * Read every Placemark of a Sentinel-2 grid KML; throws KmlError naming the file and placemark.
 * The file is streamed as bytes: Placemark bounds are found with Buffer.indexOf and only each
 * Placemark's bytes are decoded, so neither the whole text nor a whole DOM is ever held.
 */
export async function readS2GridKml(file: string): Promise<S2Tile[]> {
  const tiles: S2Tile[] = [];
  let buf: Buffer = Buffer.alloc(0);
  let ordinal = 0;
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let pos = 0;
      for (;;) {
        const start = buf.indexOf(OPEN, pos);
        if (start < 0) {
          pos = Math.max(pos, buf.length - OPEN.length);
          break;
        }
        const end = buf.indexOf(CLOSE, start);
        if (end < 0) {
          pos = start;
          break;
        }
        ordinal++;
        const next = buf.indexOf(OPEN, start + OPEN.length);
        if (next >= 0 && next < end) throw new KmlError(`${file}: Placemark #${ordinal} is not closed before the next Placemark`);
        tiles.push(parsePlacemark(buf.toString('utf8', start, end + CLOSE.length), file, ordinal));
        pos = end + CLOSE.length;
      }
      buf = buf.subarray(pos);
    }
  } catch (e) {
    if (e instanceof KmlError) throw e;
    throw new KmlError(`${file}: cannot read: ${(e as Error).message}`);
  }
  if (buf.indexOf(OPEN) >= 0) throw new KmlError(`${file}: Placemark #${ordinal + 1} is not closed (file truncated?)`);
  if (tiles.length === 0) throw new KmlError(`${file}: no Placemark found; is it a Sentinel-2 grid KML?`);
  return tiles;
}
