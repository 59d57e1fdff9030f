// Real fixtures the web tests use, and a rectangle AOI around a cluster of real chips.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChipRecord } from '@hls/geo';
import { REAL_FIXTURES } from '@hls/common';

export const REAL = `${REAL_FIXTURES}`;
export const CHIPS_FILE = join(REAL, 'chips/midwest_crops_chip_payload.geojson');
export const GRID_KML = join(REAL, 's2-grid/sentinel_tile_grid_subset.reconstructed.kml');
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const SCREENSHOT_DIR = join(REPO_ROOT, '.test-results/screenshots/web');

export function requireFixtures(): void {
  for (const f of [CHIPS_FILE, GRID_KML]) if (!existsSync(f)) throw new Error(`fixture missing: ${f}`);
}

export type Rect = [number, number, number, number];

/** Lon/lat extent of a chip's box. */
export function chipExtent(c: ChipRecord): Rect {
  const pts = (c.geometry.type === 'Polygon' ? [c.geometry.coordinates] : c.geometry.coordinates).flatMap((p) => p[0] ?? []);
  const xs = pts.map((p) => p[0] as number);
  const ys = pts.map((p) => p[1] as number);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

/** A rectangle of `half` degrees around the first chip's centre. */
export function rectAround(c: ChipRecord, half: number): Rect {
  return [c.center[0] - half, c.center[1] - half, c.center[0] + half, c.center[1] + half];
}

export function rectPolygon(r: Rect): { type: 'Polygon'; coordinates: number[][][] } {
  return { type: 'Polygon', coordinates: [[[r[0], r[1]], [r[2], r[1]], [r[2], r[3]], [r[0], r[3]], [r[0], r[1]]]] };
}

/** Independent oracle for a rectangle AOI: a chip is within it when its whole box is. */
export function chipsWithinRect(chips: readonly ChipRecord[], r: Rect): string[] {
  return chips
    .filter((c) => {
      const e = chipExtent(c);
      return e[0] >= r[0] && e[1] >= r[1] && e[2] <= r[2] && e[3] <= r[3];
    })
    .map((c) => c.id)
    .sort();
}

/**
 * Independent oracle for the default AOI rule (select_aoi.py keeps a chip when turf.intersect of it and the
 * drawn polygon is not null): GDAL/GEOS, chips whose box shares a non-zero area with the AOI.
 */
export function chipsTouchingAoiGdal(chips: readonly ChipRecord[], aoi: unknown): string[] {
  const script = [
    'import json, sys',
    'from osgeo import ogr',
    'd = json.load(sys.stdin)',
    'aoi = ogr.CreateGeometryFromJson(json.dumps(d["aoi"]))',
    'out = [c["id"] for c in d["chips"] if ogr.CreateGeometryFromJson(json.dumps(c["geometry"])).Intersection(aoi).GetArea() > 0]',
    'print(json.dumps(sorted(out)))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify({ aoi, chips: chips.map((c) => ({ id: c.id, geometry: c.geometry })) }), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`GDAL (python3 osgeo.ogr) oracle failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}
