// Per-run state in JetStream KV, shared by every replica: tile records (chips and selected scenes),
// band progress towards hls.tile.ready, and terminal chip states towards hls.run.completed.
// Everything here is safe under redelivery and racing replicas (create-only keys, compare-and-set).
import { kvMutate, type KvStore } from '@hls/bus';
import { BANDS, BANDS_PER_TILE, kvKey, parseGranuleId } from '@hls/contracts';

export interface TileRecord {
  chipIds: string[];
  /** The 3 selected granules in date order (once scenes are selected). */
  granuleIds?: string[];
  stage?: TileStage;
  reason?: string;
}
export type TileStage = 'requested' | 'scenes-found' | 'selected' | 'fetched' | 'reprojected' | 'ready' | 'rejected' | 'failed';

export type ChipTerminal = 'accepted' | 'rejected' | 'failed';
export interface ChipRecord {
  state: ChipTerminal;
  tileId?: string;
  reason?: string;
  at: string;
}

export interface RunCounts {
  accepted: number;
  rejected: number;
  failed: number;
}

export const tileKey = (runId: string, tileId: string): string => kvKey(runId, tileId);
const bandsKey = (runId: string, tileId: string): string => kvKey(runId, tileId, 'bands');
const readyKey = (runId: string, tileId: string): string => kvKey(runId, tileId, 'ready');
export const chipKey = (runId: string, chipId: string): string => kvKey(runId, chipId);
const countsKey = (runId: string): string => kvKey(runId, 'counts');

/** Merge fields into a tile's record (compare-and-set). */
export async function updateTile(tiles: KvStore, runId: string, tileId: string, patch: Partial<TileRecord>): Promise<TileRecord> {
  const r = await kvMutate<TileRecord>(tiles, tileKey(runId, tileId), (prev) => ({ chipIds: [], ...prev, ...patch }));
  return r.value as TileRecord;
}

export async function getTile(tiles: KvStore, runId: string, tileId: string): Promise<TileRecord | undefined> {
  return (await tiles.get(tileKey(runId, tileId)))?.value as TileRecord | undefined;
}

/**
 * Add one reprojected band to the tile's set. Returns whether the tile has all 21 bands of its
 * selected scenes, and whether hls.tile.ready still has to be published (decided by a create-only
 * marker, so of several racing replicas exactly one publishes; a crash between marker and publish
 * is covered because the marker says 'publishing' until confirmed).
 */
export async function addReprojectedBand(tiles: KvStore, runId: string, tileId: string, granuleId: string, band: string): Promise<{ ready: boolean; mustPublish: boolean; have: number }> {
  const tile = await getTile(tiles, runId, tileId);
  const granules = tile?.granuleIds ?? [];
  const { value } = await kvMutate<string[]>(tiles, bandsKey(runId, tileId), (prev) => {
    const set = new Set(prev ?? []);
    const k = `${granuleId}.${band}`;
    if (set.has(k)) return undefined;
    set.add(k);
    return [...set].sort();
  });
  const done = new Set(value ?? []);
  const have = granules.flatMap((g) => BANDS.map((b) => `${g}.${b}`)).filter((k) => done.has(k)).length;
  const ready = granules.length === 3 && have === BANDS_PER_TILE;
  if (!ready) return { ready, mustPublish: false, have };
  if (await tiles.create(readyKey(runId, tileId), { state: 'publishing' })) return { ready, mustPublish: true, have };
  const marker = (await tiles.get(readyKey(runId, tileId)))?.value as { state?: string } | undefined;
  return { ready, mustPublish: marker?.state !== 'published', have };
}

export async function markTileReadyPublished(tiles: KvStore, runId: string, tileId: string): Promise<void> {
  await tiles.put(readyKey(runId, tileId), { state: 'published' });
  await updateTile(tiles, runId, tileId, { stage: 'ready' });
}

/** The tile's scenes as date-ordered refs (the date comes from the granule id). */
export function sceneRefs(granuleIds: readonly string[]): Array<{ granuleId: string; date: string }> {
  return granuleIds.map((g) => ({ granuleId: g, date: parseGranuleId(g).date }));
}

/**
 * Record a chip's terminal state. The first terminal event of a chip wins (create-only); a later,
 * different one is reported as a conflict and not counted twice.
 */
export async function recordChipTerminal(chips: KvStore, runId: string, chipId: string, rec: ChipRecord): Promise<'new' | 'same' | 'conflict'> {
  if (await chips.create(chipKey(runId, chipId), rec)) return 'new';
  const cur = (await chips.get(chipKey(runId, chipId)))?.value as ChipRecord | undefined;
  return cur?.state === rec.state ? 'same' : 'conflict';
}

/** Exact counts by listing the run's chip keys (used when a count may be stale after a crash). */
export async function recountChips(chips: KvStore, runId: string): Promise<RunCounts> {
  const counts: RunCounts = { accepted: 0, rejected: 0, failed: 0 };
  for (const k of await chips.keys(runId)) {
    if (k.split('.').length !== 2) continue;
    const r = (await chips.get(k))?.value as ChipRecord | undefined;
    if (r && r.state in counts) counts[r.state]++;
  }
  return counts;
}

export async function bumpCount(chips: KvStore, runId: string, state: ChipTerminal): Promise<RunCounts> {
  const r = await kvMutate<RunCounts>(chips, countsKey(runId), (prev) => {
    const c = { accepted: 0, rejected: 0, failed: 0, ...prev };
    c[state]++;
    return c;
  });
  return r.value as RunCounts;
}

export async function setCounts(chips: KvStore, runId: string, counts: RunCounts): Promise<void> {
  await chips.put(countsKey(runId), counts);
}

export const total = (c: RunCounts): number => c.accepted + c.rejected + c.failed;
