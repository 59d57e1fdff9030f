// Shared by the tests: fixture paths and GDAL as the oracle for coordinate transforms.
import { spawnSync } from 'node:child_process';
import { REAL_FIXTURES } from '@hls/common';

export const FIXTURES = `${REAL_FIXTURES}`;
export const CHIPS_4326 = `${FIXTURES}/chips/midwest_crops_chip_payload.geojson`;
export const CHIPS_5070 = `${FIXTURES}/chips/midwest_crops_chip_payload_5070.geojson`;
export const GRID_KML = `${FIXTURES}/s2-grid/sentinel_tile_grid_subset.reconstructed.kml`;
export const GRID_PARQUET = `${FIXTURES}/s2-grid/sentinel-2-grid_LAND.parquet`;
export const GRID_GEOJSON = `${FIXTURES}/s2-grid/s2_grid_midwest_antimeridian.geojson`;

/** Fail (never skip) when a GDAL tool is missing. */
export function requireTool(tool: string): void {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`${tool} is not installed; it is the test oracle: apt-get install -y gdal-bin python3-rasterio`);
  }
}

/** Transform points with gdaltransform (x/y in traditional GIS order). */
export function gdalTransform(points: readonly (readonly [number, number])[], from: number, to: number): [number, number][] {
  requireTool('gdaltransform');
  const input = points.map((p) => `${p[0]} ${p[1]}`).join('\n') + '\n';
  const r = spawnSync('gdaltransform', ['-s_srs', `EPSG:${from}`, '-t_srs', `EPSG:${to}`, '-output_xy'], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`gdaltransform failed: ${r.stderr}`);
  const out = r.stdout
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  if (out.length !== points.length) throw new Error(`gdaltransform returned ${out.length} points for ${points.length}`);
  return out;
}

/** gdalsrsinfo -o proj4 of an EPSG code. */
export function gdalProj4(epsg: number): string {
  requireTool('gdalsrsinfo');
  const r = spawnSync('gdalsrsinfo', ['-o', 'proj4', `EPSG:${epsg}`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gdalsrsinfo failed: ${r.stderr}`);
  return r.stdout.trim();
}
