// The interface every scene source has (STAC API, static catalog, local granule directory), and
// findScenes: search, complete each record from its .cmr.xml when the search result lacks fields
// (CMR-STAC items have no spatial coverage), add CIDs from a mapping, validate. A bad document is a
// named problem; the other granules of the tile still come through.
import type { AreaGeometry, Scene } from '@hls/contracts';
import { parseGranuleId } from '@hls/contracts';
import { ringIntersectsAny } from '@hls/geo';
import { applyCidMapping } from './cids.ts';
import type { CidMapping } from './cids.ts';
import { readEcho10 } from './echo10.ts';
import { MetadataError, errorMessage } from './errors.ts';
import { mergeGranules, missingFields, toScene } from './granule.ts';
import type { GranuleMetadata, ReadResult } from './granule.ts';

export interface SearchParams {
  collections: string[];
  /** EPSG:4326 search geometry. */
  intersects?: AreaGeometry;
  /** RFC 3339 interval `start/end` (STAC `datetime`). */
  datetime?: string;
  /** Page size asked of the API. */
  limit?: number;
  /** Stop after this many items (safety net). */
  maxItems?: number;
}

export interface SceneSource {
  /** For messages: the API URL, catalog or directory. */
  readonly name: string;
  /** Records found (possibly incomplete) and documents that could not be read. */
  search(params: SearchParams): Promise<ReadResult>;
  /** Fetch a linked document (a .cmr.xml) by URL or path. */
  fetchText(href: string): Promise<string>;
}

export interface SceneProblem {
  granuleId?: string;
  source: string;
  message: string;
}

export interface FindScenesOptions {
  /** Keep only granules of this MGRS tile (an intersects search also returns neighbouring tiles). */
  tileId?: string;
  cidMapping?: CidMapping;
  /** Concurrent .cmr.xml fetches (the HTTP limiter bounds the total anyway). */
  concurrency?: number;
  /**
   * The EPSG:4326 areas of the tile's chips: a granule whose footprint touches none of them is no candidate.
   * The original searched with a chip polygon (identify_hls_scenes.py, `intersects=chip_bbox`), so such
   * granules never reached its coverage cascade. A granule whose documents give no footprint is kept.
   */
  chipAreas?: readonly AreaGeometry[];
}

export interface FoundScenes {
  scenes: Scene[];
  problems: SceneProblem[];
  /** Granules of other tiles the search returned. */
  otherTiles: number;
  /** Granules of the tile whose footprint touches none of its chips (dropped). */
  outsideChips: number;
}

/**
 * Two instants (a bare `YYYY-MM-DD` is that day's 00:00:00Z) -> STAC datetime interval. Like the original
 * (identify_hls_scenes.py: `2022-03-01T00:00:00Z/2022-09-30T00:00:00Z`), the end is an instant, not a whole day.
 */
export function datetimeInterval(from: string, to: string): string {
  const instant = (d: string): string => (/^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T00:00:00Z` : d);
  return `${instant(from)}/${instant(to)}`;
}

export function toProblem(e: unknown, source: string, granuleId?: string): SceneProblem {
  const p: SceneProblem = { source: e instanceof MetadataError ? e.source : source, message: errorMessage(e) };
  const g = e instanceof MetadataError ? (e.granuleId ?? granuleId) : granuleId;
  if (g) p.granuleId = g;
  return p;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function tileOf(granuleId: string): string | undefined {
  try {
    return parseGranuleId(granuleId).tileId;
  } catch {
    return undefined;
  }
}

/** Complete a record from its metadata links (https first), when it lacks a field a scene needs. */
export async function completeGranule(source: SceneSource, meta: GranuleMetadata): Promise<GranuleMetadata> {
  if (missingFields(meta).length === 0 || meta.format === 'echo10') return meta;
  const link = meta.metadataLinks.find((l) => !l.startsWith('s3://'));
  if (!link) return meta;
  let xml: string;
  try {
    xml = await source.fetchText(link);
  } catch (e) {
    throw new MetadataError(link, `could not fetch the granule's .cmr.xml: ${errorMessage(e)}`, { granuleId: meta.granuleId, cause: e });
  }
  try {
    return mergeGranules(meta, readEcho10(xml, link));
  } catch (e) {
    throw e instanceof MetadataError ? e.forGranule(meta.granuleId) : e;
  }
}

export async function findScenes(source: SceneSource, params: SearchParams, opts: FindScenesOptions = {}): Promise<FoundScenes> {
  const found = await source.search(params);
  const problems: SceneProblem[] = found.problems.map((e) => toProblem(e, source.name));
  // One record per granule (paging overlap).
  const byId = new Map<string, GranuleMetadata>();
  let otherTiles = 0;
  for (const r of found.records) {
    if (opts.tileId && tileOf(r.granuleId) !== opts.tileId && r.tileId !== opts.tileId) {
      otherTiles++;
      continue;
    }
    if (!byId.has(r.granuleId)) byId.set(r.granuleId, r);
  }
  const areas = opts.chipAreas ?? [];
  const touchesChips = (m: GranuleMetadata): boolean => !m.footprint || ringIntersectsAny(m.footprint, areas);
  let outsideChips = 0;
  const results = await mapLimit([...byId.values()], opts.concurrency ?? 8, async (meta) => {
    try {
      // Known footprint that misses every chip: no need to fetch its .cmr.xml.
      if (!touchesChips(meta)) {
        outsideChips++;
        return undefined;
      }
      let full = await completeGranule(source, meta);
      if (!touchesChips(full)) {
        outsideChips++;
        return undefined;
      }
      if (opts.cidMapping) full = applyCidMapping(full, opts.cidMapping);
      return toScene(full);
    } catch (e) {
      problems.push(toProblem(e, meta.source, meta.granuleId));
      return undefined;
    }
  });
  const scenes = results.filter((s): s is Scene => s !== undefined);
  return { scenes, problems, otherTiles, outsideChips };
}
