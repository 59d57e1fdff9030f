// The one reducer from events to state, pure: which progress state an event gives the tile or chip it is
// about, and what it adds to a tile's record. The ledger applies it to KV; the CLI's progress and the web
// page apply it to the events they follow, so all three speak the flow's vocabulary (PROGRESS_STATES).
import { CHIP_TERMINAL_STATES, STATE_MARKED_BY, SUBJECTS, TILE_TERMINAL_STATES, stateRank, type ProgressState, type Subject } from '@hls/contracts';
import type { TileChip, TileRecord } from './records.ts';

/**
 * The state after `next`: states only move forward in pipeline order, and a terminal state sticks (the
 * first terminal event of a chip wins; a rejected or failed tile stays so).
 */
export function advance(prev: ProgressState | undefined, next: ProgressState, terminal: readonly ProgressState[] = CHIP_TERMINAL_STATES): ProgressState {
  if (prev === undefined) return next;
  if (terminal.includes(prev)) return prev;
  if (terminal.includes(next)) return next;
  return stateRank(next) > stateRank(prev) ? next : prev;
}

/** The state an event marks for its chip or tile, if any. */
export const stateMarkedBy = (subject: string): ProgressState | undefined => STATE_MARKED_BY[subject as Subject];

type TileEvent = { tileId?: string; chipId?: string; chipIds?: string[]; chipBoxes?: TileChip['bbox5070'][]; granuleIds?: TileRecord['granuleIds']; reason?: string; detail?: string };

const chipsOf = (ids: readonly string[], boxes: readonly TileChip['bbox5070'][]): TileChip[] =>
  ids.map((chipId, i) => ({ chipId, bbox5070: boxes[i] }) as TileChip);

/** Is this event about a whole tile (not one of its chips or bands)? */
export function isTileEvent(subject: string, ev: unknown): boolean {
  const e = ev as TileEvent;
  return typeof e?.tileId === 'string' && e.chipId === undefined && stateMarkedBy(subject) !== undefined;
}

/**
 * A tile's record after one of its events (undefined: nothing changes). Pure; `at` stamps a change.
 */
export function reduceTile(prev: TileRecord | undefined, subject: string, ev: unknown, at: string): TileRecord | undefined {
  const marked = stateMarkedBy(subject);
  if (!marked || !isTileEvent(subject, ev)) return undefined;
  const e = ev as TileEvent;
  const base: TileRecord = prev ?? { chipIds: [], state: marked, at };
  const state = advance(prev?.state, marked, TILE_TERMINAL_STATES);
  const next: TileRecord = {
    ...base,
    state,
    ...(e.chipIds && base.chipIds.length === 0 ? { chipIds: e.chipIds } : {}),
    ...(subject === SUBJECTS.tileRequested && e.chipIds && e.chipBoxes?.length === e.chipIds.length ? { chips: chipsOf(e.chipIds, e.chipBoxes) } : {}),
    ...(subject === SUBJECTS.sceneSelected && e.granuleIds ? { granuleIds: e.granuleIds } : {}),
    ...(state !== prev?.state && (TILE_TERMINAL_STATES as readonly string[]).includes(state) ? { reason: e.reason, detail: e.detail } : {}),
  };
  const same = prev !== undefined && JSON.stringify({ ...prev, at: '' }) === JSON.stringify({ ...next, at: '' });
  return same ? undefined : { ...next, at };
}
