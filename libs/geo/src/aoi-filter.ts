// AOI filter (what the original's AOI map saved): the chips inside an AOI polygon, written as
// `aoi_selections/<NAME>_chip_payload.geojson` and its EPSG:5070 twin. Geometry tests are planar in
// lon/lat, as the original's turf.js check was. Exported for the CLI and the web page alike.
import { join } from 'node:path';
import { AreaGeometrySchema, type AreaGeometry } from '@hls/contracts';
import { twinCollection, writePythonJson, type ChipRecord } from './chip-payload.ts';
import { pythonJson, type JsonValue } from './pyjson.ts';

export const AOI_SELECTIONS_DIR = 'aoi_selections';

/** A selection name becomes part of a file name: letters, digits, '_' and '-', nothing else. */
export function validateSelectionName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(name)) {
    throw new Error(`AOI selection name ${JSON.stringify(name)} must be 1-64 letters, digits, '_' or '-' (no path separators, no leading '.' or '-')`);
  }
  return name;
}

export function selectionPaths(outDir: string, name: string): { payload: string; twin: string } {
  const n = validateSelectionName(name);
  const dir = join(outDir, AOI_SELECTIONS_DIR);
  return { payload: join(dir, `${n}_chip_payload.geojson`), twin: join(dir, `${n}_chip_payload_5070.geojson`) };
}

/** The polygons of an AOI given as a FeatureCollection, Feature, Polygon or MultiPolygon (EPSG:4326). */
export function aoiGeometries(doc: unknown, source = 'AOI'): AreaGeometry[] {
  const out: AreaGeometry[] = [];
  const visit = (v: unknown, where: string) => {
    if (typeof v !== 'object' || v === null) throw new Error(`${source}: ${where} is not a GeoJSON object`);
    const o = v as Record<string, unknown>;
    if (o.type === 'FeatureCollection' && Array.isArray(o.features)) o.features.forEach((f, i) => visit(f, `feature ${i}`));
    else if (o.type === 'Feature') visit(o.geometry, `${where} geometry`);
    else {
      const g = AreaGeometrySchema.safeParse(v);
      if (!g.success) throw new Error(`${source}: ${where} is not a Polygon or MultiPolygon`);
      out.push(g.data);
    }
  };
  visit(doc, 'root');
  if (out.length === 0) throw new Error(`${source}: no polygon`);
  return out;
}

type Pt = readonly [number, number];
type Ring = readonly Pt[];

function polygonsOf(g: AreaGeometry): Ring[][] {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  return polys.map((p) => p.map((r) => r.map((q) => [q[0], q[1]] as Pt)));
}

function inRing(p: Pt, ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const a = ring[i] as Pt;
    const b = ring[j] as Pt;
    if (a[1] > p[1] !== b[1] > p[1] && p[0] < ((b[0] - a[0]) * (p[1] - a[1])) / (b[1] - a[1]) + a[0]) inside = !inside;
  }
  return inside;
}

function inPolygons(p: Pt, polys: Ring[][]): boolean {
  return polys.some((rings) => rings.length > 0 && inRing(p, rings[0] as Ring) && !rings.slice(1).some((h) => inRing(p, h)));
}

function segmentsCross(a: Pt, b: Pt, c: Pt, d: Pt): boolean {
  const o = (p: Pt, q: Pt, r: Pt) => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  return o(a, b, c) * o(a, b, d) < 0 && o(c, d, a) * o(c, d, b) < 0;
}

function edges(polys: Ring[][]): [Pt, Pt][] {
  const out: [Pt, Pt][] = [];
  for (const rings of polys) for (const r of rings) for (let i = 0; i + 1 < r.length; i++) out.push([r[i] as Pt, r[i + 1] as Pt]);
  return out;
}

export type AoiMode = 'within' | 'intersects';

/** Chips whose lon/lat box lies within (default) or intersects the AOI. */
export function chipsInAoi<C extends Pick<ChipRecord, 'geometry'>>(chips: readonly C[], aoi: readonly AreaGeometry[], mode: AoiMode = 'within'): C[] {
  const aoiPolys = aoi.flatMap(polygonsOf);
  const aoiEdges = edges(aoiPolys);
  return chips.filter((c) => {
    const chipPolys = polygonsOf(c.geometry);
    const verts = chipPolys.flatMap((p) => p[0] ?? []);
    const chipEdges = edges(chipPolys.map((p) => p.slice(0, 1)));
    const crossing = chipEdges.some(([a, b]) => aoiEdges.some(([c2, d]) => segmentsCross(a, b, c2, d)));
    // Within: no edge crossing, every chip corner inside, and no AOI vertex (a hole, a notch) inside the chip.
    if (mode === 'within') {
      return !crossing && verts.every((v) => inPolygons(v, aoiPolys)) && !aoiPolys.some((rings) => rings.some((r) => r.some((v) => inPolygons(v, chipPolys))));
    }
    return crossing || verts.some((v) => inPolygons(v, aoiPolys)) || aoiPolys.some((rings) => rings[0]?.some((v) => inPolygons(v, chipPolys)));
  });
}

/** The EPSG:4326 payload in the original's layout (sorted keys: geometry, properties{center, id}, type). */
export function payloadCollection(chips: readonly ChipRecord[]): JsonValue {
  return {
    type: 'FeatureCollection',
    features: chips.map((c) => ({
      geometry: { type: c.geometry.type, coordinates: c.geometry.coordinates as JsonValue },
      properties: { center: c.center, id: c.id },
      type: 'Feature',
    })),
  };
}

/**
 * The selection as file texts (payload and twin, the original's layout), without touching the disk:
 * what a web page offers for download.
 */
export function aoiSelectionTexts(
  chips: readonly ChipRecord[],
  aoi: readonly AreaGeometry[],
  mode: AoiMode = 'within',
): { chips: ChipRecord[]; payload: string; twin: string } {
  const selected = chipsInAoi(chips, aoi, mode);
  return { chips: selected, payload: pythonJson(payloadCollection(selected)), twin: pythonJson(twinCollection(selected)) };
}

/** Filter chips by an AOI and write `<outDir>/aoi_selections/<NAME>_chip_payload.geojson` + its 5070 twin. */
export async function writeAoiSelection(
  outDir: string,
  name: string,
  chips: readonly ChipRecord[],
  aoi: readonly AreaGeometry[],
  mode: AoiMode = 'within',
): Promise<{ payload: string; twin: string; chips: ChipRecord[] }> {
  const paths = selectionPaths(outDir, name);
  const selected = chipsInAoi(chips, aoi, mode);
  await writePythonJson(paths.payload, payloadCollection(selected));
  await writePythonJson(paths.twin, twinCollection(selected));
  return { ...paths, chips: selected };
}
