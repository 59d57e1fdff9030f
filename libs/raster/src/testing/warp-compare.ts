// gdalwarp -et 0 onto the window we warped to, and a pixel-by-pixel comparison of two outputs.
import { join } from 'node:path';
import { utmEpsg } from '../crs.ts';
import type { ReprojectResult } from '../reproject.ts';
import type { TypedArray } from '../types.ts';
import { writeGeoTiff } from '../write.ts';
import { run } from './gdal.ts';

/**
 * An HLS-like band: `size` x `size` px of 30 m in UTM `zone` from (x0, y0), written plain and turned into a
 * DEFLATE + predictor COG with 256-px blocks by gdal_translate (GDAL's encoding, not our writer's): `<dir>/<name>.tif`.
 */
export async function makeHlsCog(dir: string, name: string, size: number, zone: number, x0: number, y0: number, band: Int16Array | Uint8Array, nodata: number): Promise<string> {
  const plain = join(dir, `${name}.plain.tif`);
  const cog = join(dir, `${name}.tif`);
  await writeGeoTiff(plain, { width: size, height: size, bands: [band], geoTransform: [x0, 30, 0, y0, 0, -30], epsg: utmEpsg(zone), nodata, compress: 'none' });
  run('gdal_translate', ['-q', '-of', 'COG', '-co', 'COMPRESS=DEFLATE', '-co', 'PREDICTOR=2', '-co', 'BLOCKSIZE=256', plain, cog]);
  return cog;
}

export function gdalwarp(src: string, dst: string, r: ReprojectResult, resampling: 'bilinear' | 'near', nodata: number): void {
  const [minX, minY, maxX, maxY] = r.bbox5070;
  run('gdalwarp', [
    '-q', '-overwrite', '-et', '0', '-r', resampling, '-t_srs', 'EPSG:5070', '-tr', '30', '30',
    '-te', String(minX), String(minY), String(maxX), String(maxY),
    '-srcnodata', String(nodata), '-dstnodata', String(nodata), src, dst,
  ]);
}

export interface Comparison {
  total: number;
  maskDiff: number;
  validBoth: number;
  within1: number;
  identical: number;
  maxAbs: number;
}

export function compare(ours: TypedArray, theirs: TypedArray, nodata: number): Comparison {
  const c: Comparison = { total: ours.length, maskDiff: 0, validBoth: 0, within1: 0, identical: 0, maxAbs: 0 };
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i]!;
    const b = theirs[i]!;
    if (a === b) c.identical++;
    const va = a !== nodata;
    const vb = b !== nodata;
    if (va !== vb) {
      c.maskDiff++;
      continue;
    }
    if (!va) continue;
    c.validBoth++;
    const d = Math.abs(a - b);
    if (d <= 1) c.within1++;
    c.maxAbs = Math.max(c.maxAbs, d);
  }
  return c;
}
