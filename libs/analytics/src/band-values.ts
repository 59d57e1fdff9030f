// The counting under the band statistics, for one thread: some reflectance bands' values over every merged chip,
// into exact histograms and a streamed .npy per band. A band-stats thread loads this module only (no zod, no
// chips library), so it starts fast.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { REFLECTANCE_BANDS, SCENES_PER_TILE, type ReflectanceBand } from '@hls/contracts/domain';
import { openRaster } from '@hls/raster';
import { Int16Histogram } from './histogram.ts';
import { NpyInt16Writer } from './npy.ts';

export const CLIP_PERCENT = 1.5;
export const BANDS_PER_CHIP = REFLECTANCE_BANDS.length * SCENES_PER_TILE;

export interface BandStats {
  /** 1..6, as in band_values_<n>.txt. */
  index: number;
  band: ReflectanceBand;
  count: number;
  mean: number;
  std: number;
  /** The 1.5th / 98.5th percentiles: min and max of the clipped values. */
  min: number;
  max: number;
}

/** The given merged bands (0-based) of a merged chip, in that order. */
export type ReadMergedBands = (file: string, bands: readonly number[]) => Promise<ArrayLike<number>[]>;

export const notMerged = (file: string, count: number): Error => new Error(`${file}: has ${count} bands, a merged chip has ${BANDS_PER_CHIP}`);

/** Reads only the asked bands' blocks. */
export const readMergedBands: ReadMergedBands = async (file, bands) => {
  const r = await openRaster(file);
  try {
    if (r.bandCount !== BANDS_PER_CHIP) throw notMerged(file, r.bandCount);
    return (await r.read({ bands: [...bands] })).bands;
  } finally {
    await r.close();
  }
};

/**
 * Stats of some reflectance bands (`which`: 0-based indices into REFLECTANCE_BANDS) over the 18-band merged
 * chips; band i of date d is merged band d * 6 + i.
 */
export async function statsOfBands(mergedFiles: readonly string[], which: readonly number[], read: ReadMergedBands, npyDir?: string): Promise<BandStats[]> {
  const hists = which.map(() => new Int16Histogram());
  // Merged bands to read, band by band, each band's dates in date order.
  const merged = which.flatMap((i) => Array.from({ length: SCENES_PER_TILE }, (_, d) => d * REFLECTANCE_BANDS.length + i));
  let writers: NpyInt16Writer[] = [];
  if (npyDir) {
    await mkdir(npyDir, { recursive: true });
    writers = which.map((i) => new NpyInt16Writer(join(npyDir, `band_values_${i + 1}.npy`)));
    for (const w of writers) await w.open();
  }
  try {
    // The next chip is read while this one is counted and written (its file I/O overlaps the counting).
    let next = mergedFiles.length > 0 ? read(mergedFiles[0]!, merged) : undefined;
    for (let f = 0; f < mergedFiles.length; f++) {
      const file = mergedFiles[f]!;
      const bands = await next!;
      next = f + 1 < mergedFiles.length ? read(mergedFiles[f + 1]!, merged) : undefined;
      // A failure of the read ahead surfaces when it is awaited; until then it must not count as unhandled.
      next?.catch(() => {});
      const appends: Promise<void>[] = [];
      for (let k = 0; k < which.length; k++) {
        const dates: Int16Array[] = [];
        for (let d = 0; d < SCENES_PER_TILE; d++) {
          const values = bands[k * SCENES_PER_TILE + d]!;
          hists[k]!.add(values, `${file} band ${merged[k * SCENES_PER_TILE + d]! + 1}`);
          dates.push(values instanceof Int16Array ? values : Int16Array.from(values));
        }
        if (writers[k]) appends.push(writers[k]!.append(...dates));
      }
      await Promise.all(appends);
    }
  } finally {
    for (const w of writers) await w.close();
  }
  return hists.map((h, k) => ({
    index: which[k]! + 1,
    band: REFLECTANCE_BANDS[which[k]!]!,
    count: h.n,
    mean: h.mean(),
    std: h.std(),
    min: h.percentile(CLIP_PERCENT),
    max: h.percentile(100 - CLIP_PERCENT),
  }));
}

