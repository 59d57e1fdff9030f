// Scene selection, as the original identify_hls_scenes step: cloud filter, spatial-coverage cascade,
// then the first, middle and last scene by date.
import { SCENES_PER_TILE, SELECTION_DEFAULTS } from '@hls/contracts';
import type { Scene } from '@hls/contracts';

export interface SelectionOptions {
  cloudCoverThreshold?: number;
  coverageLevels?: readonly number[];
  minScenes?: number;
  /** Even count: 'lower' takes index n/2 - 1 (the seed), 'upper' index n/2 (the original code). */
  middle?: 'lower' | 'upper';
}

export type SelectionResult =
  | { ok: true; scenes: [Scene, Scene, Scene]; coverageLevel: number; candidates: Scene[] }
  | { ok: false; reason: 'no-scenes'; detail: string };

/**
 * Date order; same-date scenes keep their source (STAC result) order, as the original's
 * `sort_values("date")` keeps the order its search returned them in (identify_hls_scenes.py select_scenes).
 * Array.prototype.sort is stable.
 */
export function sortScenes(scenes: readonly Scene[]): Scene[] {
  return [...scenes].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/**
 * The original's cloud test: `int(cloud_coverage) <= CLOUD_THRES` (identify_hls_scenes.py process_page),
 * so the fraction is dropped first and 5.9 % passes a 5 % threshold.
 */
export function cloudPasses(cloudCover: number, threshold: number): boolean {
  return Math.trunc(cloudCover) <= threshold;
}

export function middleIndex(n: number, middle: 'lower' | 'upper' = 'lower'): number {
  return n % 2 === 1 ? (n - 1) / 2 : middle === 'upper' ? n / 2 : n / 2 - 1;
}

export function selectScenes(input: readonly Scene[], opts: SelectionOptions = {}): SelectionResult {
  const threshold = opts.cloudCoverThreshold ?? SELECTION_DEFAULTS.cloudCoverThreshold;
  const levels = opts.coverageLevels ?? SELECTION_DEFAULTS.coverageLevels;
  const min = Math.max(opts.minScenes ?? SELECTION_DEFAULTS.minScenes, SCENES_PER_TILE);
  // A granule listed twice (paging overlap, two sources) counts once.
  const unique = [...new Map(input.map((s) => [s.granuleId, s])).values()];
  const clear = unique.filter((s) => cloudPasses(s.cloudCover, threshold));
  for (const level of levels) {
    const candidates = sortScenes(clear.filter((s) => s.spatialCoverage >= level));
    if (candidates.length < min) continue;
    const n = candidates.length;
    const scenes: [Scene, Scene, Scene] = [candidates[0]!, candidates[middleIndex(n, opts.middle)]!, candidates[n - 1]!];
    return { ok: true, scenes, coverageLevel: level, candidates };
  }
  const lowest = levels.length > 0 ? Math.min(...levels) : 0;
  const covered = clear.filter((s) => s.spatialCoverage >= lowest).length;
  return {
    ok: false,
    reason: 'no-scenes',
    detail:
      `${unique.length} scene(s) found, ${clear.length} with cloud cover <= ${threshold}%, ` +
      `${covered} of those with spatial coverage >= ${lowest}%; ${min} needed`,
  };
}
