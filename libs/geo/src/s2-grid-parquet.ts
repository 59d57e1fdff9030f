// The Sentinel-2 grid as GeoParquet (maawoo/sentinel-2-grid-geoparquet layout, converted from the ESA KML:
// columns tile, geometry (WKB), center (WKB Point), epsg, utm_wkt, utm_bounds). hyparquet decodes the WKB.
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { KmlError, wktBounds, type S2Tile } from './s2-grid-kml.ts';

type Geo = { type?: string; coordinates?: unknown };

function rings(g: Geo): [number, number][][] | null {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? (g.coordinates as unknown[]) : null;
  if (!Array.isArray(polys)) return null;
  const out: [number, number][][] = [];
  for (const p of polys) {
    const outer = Array.isArray(p) ? (p[0] as unknown) : null;
    if (!Array.isArray(outer)) return null;
    out.push(outer.map((q) => [Number((q as number[])[0]), Number((q as number[])[1])]));
  }
  return out;
}

/** Read every row of a Sentinel-2 grid GeoParquet; a bad row is an error naming the file, row and tile. */
export async function readS2GridParquet(file: string): Promise<S2Tile[]> {
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: await asyncBufferFromFile(file), compressors });
  } catch (e) {
    throw new KmlError(`${file}: cannot read as Parquet: ${(e as Error).message}`);
  }
  return rows.map((r, i) => {
    const name = typeof r.tile === 'string' ? r.tile : null;
    const where = `${file}: row ${i}${name ? ` (${name})` : ''}`;
    if (!name) throw new KmlError(`${where}: no tile name`);
    const epsg = Number(r.epsg);
    const footprintUtm = typeof r.utm_wkt === 'string' ? wktBounds(r.utm_wkt) : null;
    const parts = rings((r.geometry ?? {}) as Geo);
    const c = (r.center ?? {}) as Geo;
    const center = c.type === 'Point' && Array.isArray(c.coordinates) ? ([Number(c.coordinates[0]), Number(c.coordinates[1])] as [number, number]) : null;
    if (!Number.isInteger(epsg) || !footprintUtm || !parts || parts.length === 0 || !center) throw new KmlError(`${where}: missing or bad epsg, utm_wkt, geometry or center`);
    return { name, epsg, footprintUtm, parts, center };
  });
}
