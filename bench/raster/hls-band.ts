// The HLS-like band the raster benchmarks warp: 3660 x 3660 Int16 in UTM zone 15, smooth fields plus noise,
// written by gdal_translate as a DEFLATE + predictor COG (as HLS ships its bands).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { HLS } from '@hls/contracts/domain';
import { utmEpsg, writeGeoTiff } from '@hls/raster';

export const N = HLS.tilePixels;
export const BAND_NAME = 'HLS.S30.T15TVG.2022152T170851.v2.0.B04.tif';

function values(wedge: boolean): Int16Array {
  const a = new Int16Array(N * N);
  let seed = 12345;
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const v = 2500 + 1800 * Math.sin(x / 41) * Math.cos(y / 67) + 600 * Math.sin((x + y) / 9) + (seed >>> 24);
      // An HLS tile at a swath edge: a nodata wedge.
      a[y * N + x] = wedge && x + 0.6 * y < 700 ? HLS.reflectanceNodata : Math.round(v);
    }
  }
  return a;
}

/** Write the band into `dir` as a COG with `blockSize`-px blocks; its path. */
export async function hlsLikeBand(dir: string, o: { blockSize: number; wedge: boolean }): Promise<string> {
  const plain = join(dir, 'plain.tif');
  const src = join(dir, BAND_NAME);
  await writeGeoTiff(plain, { width: N, height: N, bands: [values(o.wedge)], geoTransform: [399960, 30, 0, 4800000, 0, -30], epsg: utmEpsg(15), nodata: HLS.reflectanceNodata, compress: 'none' });
  execFileSync('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', '-co', `BLOCKSIZE=${o.blockSize}`, plain, src]);
  rmSync(plain);
  return src;
}
