// Tile readiness: a tile can be chipped once all 7 bands of its 3 scenes are reprojected (21/21).
// Pure; the caller keeps the set in KV and uses compare-and-set so exactly one replica sees "ready".
import { BANDS, BANDS_PER_TILE, SCENES_PER_TILE } from '@hls/contracts';
import type { Band, GranuleId } from '@hls/contracts';

export interface ReprojectedBand {
  granuleId: GranuleId | string;
  band: Band;
}

export interface TileReadiness {
  ready: boolean;
  /** Distinct (granule, band) pairs of the tile's granules that are reprojected. */
  have: number;
  need: number;
  /** `<granule>.<band>` still missing. */
  missing: string[];
}

export const bandKey = (granuleId: string, band: Band): string => `${granuleId}.${band}`;

export function tileReadiness(granules: readonly (GranuleId | string)[], reprojected: Iterable<ReprojectedBand | string>): TileReadiness {
  const done = new Set<string>();
  for (const r of reprojected) done.add(typeof r === 'string' ? r : bandKey(r.granuleId, r.band));
  const distinct = [...new Set(granules)];
  const missing: string[] = [];
  let have = 0;
  for (const g of distinct) {
    for (const b of BANDS) {
      if (done.has(bandKey(g, b))) have++;
      else missing.push(bandKey(g, b));
    }
  }
  // Fewer than 3 distinct scenes can never be ready, whatever is done.
  for (let i = distinct.length; i < SCENES_PER_TILE; i++) for (const b of BANDS) missing.push(`<scene ${i + 1}>.${b}`);
  return { ready: distinct.length === SCENES_PER_TILE && have === BANDS_PER_TILE, have, need: BANDS_PER_TILE, missing };
}
