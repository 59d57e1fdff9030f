// KV keys of the ledger, in one place. Run ids, tile ids and chip ids never contain '.', so a key's parts
// are its dot-separated tokens.
import { kvKey } from '@hls/contracts';

export const runKey = (runId: string): string => runId;
export const specKey = (runId: string): string => kvKey(runId, 'spec');
export const failedKey = (runId: string): string => kvKey(runId, 'failed');
export const finishedKey = (runId: string): string => kvKey(runId, 'finished');
export const completionKey = (runId: string): string => kvKey(runId, 'completion');
export const tileKey = (runId: string, tileId: string): string => kvKey(runId, tileId);
export const bandsKey = (runId: string, tileId: string): string => kvKey(runId, tileId, 'bands');
/** Each reprojected band's span (W3C traceparent), so the tile-ready fan-in links all 21. */
export const bandSpansKey = (runId: string, tileId: string): string => kvKey(runId, tileId, 'band-spans');
export const readyKey = (runId: string, tileId: string): string => kvKey(runId, tileId, 'ready');
export const chipKey = (runId: string, chipId: string): string => kvKey(runId, chipId);
export const countsKey = (runId: string): string => kvKey(runId, 'counts');

/** The entity id of a `<runId>.<id>` key, or undefined for the run's other keys. */
export function entityOf(key: string): string | undefined {
  const parts = key.split('.');
  return parts.length === 2 && parts[1] !== 'counts' ? parts[1] : undefined;
}
