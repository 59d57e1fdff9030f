// A synthetic reprojected tile on the CDL grid for tests: 3 granules x 7 bands and a CDL raster.
import { join } from 'node:path';
import { BANDS, CDL_GRID, HLS, REFLECTANCE_BANDS, reprojectedBandPath, type BBox, type GranuleId } from '@hls/contracts';
import { writeGeoTiff, type GeoTransform } from '@hls/raster';

export interface SyntheticTile {
  width: number;
  height: number;
  geoTransform: GeoTransform;
  granules: GranuleId[];
  dates: string[];
  cdl: string;
  /** The 224 x 224 box whose top-left pixel is (col, row) of the rasters. */
  box(col: number, row: number): BBox;
}

/** Fmask is 64 (valid) except a cloud (2) block of `cloud` = [x0, y0, x1, y1] in the middle date. */
export async function writeSyntheticTile(dir: string, o: { col0: number; row0: number; width: number; height: number; cloud?: [number, number, number, number] }): Promise<SyntheticTile> {
  const { width: W, height: H } = o;
  const gt: GeoTransform = [CDL_GRID.x0 + o.col0 * 30, 30, 0, CDL_GRID.y0 - o.row0 * 30, 0, -30];
  const granules = ['HLS.S30.T15TVG.2022091T170851.v2.0', 'HLS.S30.T15TVG.2022152T170851.v2.0', 'HLS.S30.T15TVG.2022244T170851.v2.0'] as GranuleId[];
  const dates = ['2022-04-01', '2022-06-01', '2022-09-01'];
  for (const [d, g] of granules.entries()) {
    for (const band of BANDS) {
      const path = join(dir, reprojectedBandPath(g, band));
      if (band === 'Fmask') {
        const a = new Uint8Array(W * H).fill(64);
        if (d === 1 && o.cloud) for (let y = o.cloud[1]; y < o.cloud[3]; y++) for (let x = o.cloud[0]; x < o.cloud[2]; x++) a[y * W + x] = 2;
        await writeGeoTiff(path, { width: W, height: H, bands: [a], geoTransform: gt, epsg: 5070, nodata: HLS.fmaskNodata });
      } else {
        const b = REFLECTANCE_BANDS.indexOf(band);
        const a = new Int16Array(W * H);
        for (let i = 0; i < a.length; i++) a[i] = 100 * (d * 6 + b) + (i % 97);
        await writeGeoTiff(path, { width: W, height: H, bands: [a], geoTransform: gt, epsg: 5070, nodata: HLS.reflectanceNodata });
      }
    }
  }
  const cdl = new Uint8Array(W * H);
  const codes = [1, 5, 152, 176, 24];
  for (let i = 0; i < cdl.length; i++) cdl[i] = codes[(i >> 4) % codes.length]!;
  const cdlPath = join(dir, 'cdl.tif');
  await writeGeoTiff(cdlPath, { width: W, height: H, bands: [cdl], geoTransform: gt, epsg: 5070 });
  return {
    width: W,
    height: H,
    geoTransform: gt,
    granules,
    dates,
    cdl: cdlPath,
    box(col, row) {
      const minX = gt[0] + col * 30;
      const maxY = gt[3] - row * 30;
      return [minX, maxY - 6720, minX + 6720, maxY];
    },
  };
}

/** An EPSG:5070 chip payload in the original's shape (MultiPolygon boxes, id, centre). */
export function payload5070(chips: { id: string; box: BBox }[]): string {
  return JSON.stringify({
    type: 'FeatureCollection',
    features: chips.map(({ id, box: [a, b, c, d] }) => ({
      type: 'Feature',
      properties: { id, center: [(a + c) / 2, (b + d) / 2] },
      geometry: { type: 'MultiPolygon', coordinates: [[[[a, d], [a, b], [c, b], [c, d], [a, d]]]] },
    })),
  });
}
