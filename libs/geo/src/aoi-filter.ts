// AOI filter (what the original's AOI map, select_aoi.py, saved): the chips an AOI polygon touches, or with
// `within` only those inside it, written as `aoi_selections/<NAME>_chip_payload.geojson` and its EPSG:5070
// twin. Geometry tests are @turf/turf's, planar in lon/lat, as the original's. For the CLI and the web page.
import { join } from 'node:path';
import { AreaGeometrySchema, type AreaGeometry } from '@hls/contracts';
import { twinCollection, writePythonJson, type ChipRecord } from './chip-payload.ts';
import { pythonJson, type JsonValue } from './pyjson.ts';
import { areasOverlap, areaWithin } from './area-predicates.ts';

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

/**
 * `intersects` (the default): chips that share some area with the AOI, select_aoi.py's rule
 * (`turf.intersect(featureCollection([drawn, chip]))` is not null). `within`: chips wholly inside it.
 */
export type AoiMode = 'within' | 'intersects';
export const DEFAULT_AOI_MODE: AoiMode = 'intersects';

/** Chips whose lon/lat box overlaps (default) or lies within one of the AOI polygons. */
export function chipsInAoi<C extends Pick<ChipRecord, 'geometry'>>(chips: readonly C[], aoi: readonly AreaGeometry[], mode: AoiMode = DEFAULT_AOI_MODE): C[] {
  const keep = mode === 'within' ? areaWithin : areasOverlap;
  return chips.filter((c) => aoi.some((a) => keep(c.geometry, a)));
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
  mode: AoiMode = DEFAULT_AOI_MODE,
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
  mode: AoiMode = DEFAULT_AOI_MODE,
): Promise<{ payload: string; twin: string; chips: ChipRecord[] }> {
  const paths = selectionPaths(outDir, name);
  const selected = chipsInAoi(chips, aoi, mode);
  await writePythonJson(paths.payload, payloadCollection(selected));
  await writePythonJson(paths.twin, twinCollection(selected));
  return { ...paths, chips: selected };
}
