// GDAL metadata as GDAL keeps it in a GeoTIFF's GDAL_METADATA tag (42112): one XML document with
// dataset items, per-band items (sample="N", 0-based), and the per-band roles "description", "scale"
// and "offset". One encoder and one parser, both matching GDAL 3.x byte for byte where it matters:
// GDAL escapes an item's text twice (CPLEscapeString, then the XML serializer) and unescapes it twice
// on reading, while attribute values (names) are escaped once.

/** What a band carries in GDAL metadata. */
export interface GdalBandMetadata {
  /** Band description (GDAL's GetDescription, rasterio's `descriptions`). */
  description?: string;
  scale?: number;
  offset?: number;
  /** Plain band items (GDAL's default metadata domain), e.g. HLS `long_name`, `_FillValue`. */
  items?: Readonly<Record<string, string>>;
}

export interface GdalMetadata {
  /** Dataset items (default domain). */
  items?: Readonly<Record<string, string>>;
  /** Per band, in band order; shorter than the band count is fine. */
  bands?: readonly (GdalBandMetadata | undefined)[];
}

/** GDAL metadata as read: always one entry per band. */
export interface ParsedGdalMetadata {
  items: Record<string, string>;
  bands: Array<{ description: string | null; scale: number | null; offset: number | null; items: Record<string, string> }>;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const escapeXml = (s: string): string => s.replace(/[&<>"]/g, (c) => ESCAPES[c]!);

function unescapeXml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-f]+|#\d+);/gi, (_, e: string) => {
    const k = e.toLowerCase();
    if (k === 'amp') return '&';
    if (k === 'lt') return '<';
    if (k === 'gt') return '>';
    if (k === 'quot') return '"';
    if (k === 'apos') return "'";
    return String.fromCodePoint(k.startsWith('#x') ? parseInt(k.slice(2), 16) : parseInt(k.slice(1), 10));
  });
}

/** GDAL writes scale and offset with printf `%.18g`. */
export function formatG18(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 18) {
    const [m, e] = v.toExponential(17).split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = v.toPrecision(18);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** GDAL keeps items sorted as a CPLStringList does: by name, compared upper-cased, byte by byte. */
function gdalSorted(items: Readonly<Record<string, string>> | undefined): [string, string][] {
  const key = (s: string): string => s.toUpperCase();
  return Object.entries(items ?? {}).sort(([a], [b]) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function checkName(name: string): void {
  if (name === '' || /[\0]/.test(name)) throw new Error(`bad GDAL metadata item name ${JSON.stringify(name)}`);
}

/** The GDAL_METADATA XML for `md`, or null when there is nothing to write (GDAL then writes no tag). */
export function encodeGdalMetadata(md: GdalMetadata | undefined): string | null {
  if (!md) return null;
  const lines: string[] = [];
  const item = (name: string, value: string, sample?: number, role?: string): void => {
    checkName(name);
    const attrs = `name="${escapeXml(name)}"${sample === undefined ? '' : ` sample="${sample}"`}${role ? ` role="${role}"` : ''}`;
    lines.push(`  <Item ${attrs}>${escapeXml(escapeXml(value))}</Item>`);
  };
  for (const [k, v] of gdalSorted(md.items)) item(k, v);
  (md.bands ?? []).forEach((b, i) => {
    if (!b) return;
    for (const [k, v] of gdalSorted(b.items)) item(k, v, i);
    // GDAL's order: items, then OFFSET, SCALE, DESCRIPTION.
    if (b.offset !== undefined) item('OFFSET', formatG18(b.offset), i, 'offset');
    if (b.scale !== undefined) item('SCALE', formatG18(b.scale), i, 'scale');
    if (b.description !== undefined && b.description !== '') item('DESCRIPTION', b.description, i, 'description');
  });
  if (lines.length === 0) return null;
  return `<GDALMetadata>\n${lines.join('\n')}\n</GDALMetadata>\n`;
}

/**
 * Parse a GDAL_METADATA document. Items of other metadata domains (`domain="..."`) are skipped.
 * Scale and offset come from the `role` items; HLS's `scale_factor`/`add_offset` items (per band or
 * dataset-wide) stand in when a band has no role item, as GDAL's netCDF-derived files intend.
 */
export function parseGdalMetadata(xml: string | undefined, bandCount: number): ParsedGdalMetadata {
  const out: ParsedGdalMetadata = {
    items: {},
    bands: Array.from({ length: bandCount }, () => ({ description: null, scale: null, offset: null, items: {} })),
  };
  if (!xml) return out;
  const attr = (attrs: string, key: string): string | undefined => {
    const m = new RegExp(`\\b${key}\\s*=\\s*"([^"]*)"`).exec(attrs);
    return m ? unescapeXml(m[1]!) : undefined;
  };
  const re = /<Item\b([^>]*?)(?:\/>|>([^<]*)<\/Item>)/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    const attrs = m[1]!;
    const name = attr(attrs, 'name');
    if (name === undefined || attr(attrs, 'domain') !== undefined) continue;
    const text = unescapeXml(unescapeXml(m[2] ?? ''));
    const role = attr(attrs, 'role')?.toLowerCase();
    const sampleText = attr(attrs, 'sample');
    if (sampleText === undefined) {
      out.items[name] = text;
      continue;
    }
    const band = out.bands[Number(sampleText)];
    if (!/^\d+$/.test(sampleText) || !band) continue;
    if (role === 'description') band.description = text;
    else if (role === 'scale') band.scale = numberOrNull(text);
    else if (role === 'offset') band.offset = numberOrNull(text);
    else if (role === undefined) band.items[name] = text;
  }
  const datasetScale = numberOrNull(out.items.scale_factor);
  const datasetOffset = numberOrNull(out.items.add_offset);
  for (const b of out.bands) {
    b.scale ??= numberOrNull(b.items.scale_factor) ?? datasetScale;
    b.offset ??= numberOrNull(b.items.add_offset) ?? datasetOffset;
  }
  return out;
}

function numberOrNull(s: string | undefined): number | null {
  if (s === undefined || s.trim() === '') return null;
  const v = Number(s.trim());
  return Number.isFinite(v) ? v : null;
}

/** Per-band scale and offset (null when absent): the part of GDAL metadata a warp or a reader of values needs. */
export function parseScaleOffset(xml: string | undefined, bandCount: number): { scale: (number | null)[]; offset: (number | null)[] } {
  const { bands } = parseGdalMetadata(xml, bandCount);
  return { scale: bands.map((b) => b.scale), offset: bands.map((b) => b.offset) };
}
