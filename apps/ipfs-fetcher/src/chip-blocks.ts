// The chips mode of the fetcher: of each band, only what the tile's chips need. The band's header is read
// through byte ranges from the first source that serves it, the source blocks under the chips' windows
// are found as the reprojector will look for them (chipSourcePlan), and those bytes land in a partial copy
// at the download's path (holes elsewhere, a sidecar naming its blocks). A band in a local granule folder
// is read in place: the reprojector decodes only the blocks it needs of it.
import { join } from 'node:path';
import { resamplingOf, tileBandPath, type BandAsset, type BandSourceName, type GranuleId } from '@hls/contracts';
import { BandSourceError, type BandSources } from '@hls/bands';
import { isRetryable } from '@hls/runtime';
import { chipSourcePlan, copyChipBlocks, missingChipBlocks, readPartialCopy, readRasterInfo, type Box, type ExtentMode } from '@hls/raster';

/** Blocks closer than this are read in one request (a request costs more than a few KiB). */
const COALESCE_GAP = 16 * 1024;

export type ChipBlocksOutcome =
  | { ok: true; source: BandSourceName; path: string; bytes: number; reused: boolean; cid?: string }
  | { ok: false; retryable: boolean; tried: Array<{ source: BandSourceName; error: string; retryable: boolean }> };

export interface ChipBlocksRequest {
  granuleId: GranuleId;
  asset: BandAsset;
  datasetDir: string;
  chips: readonly Box[];
  extent: ExtentMode;
  signal?: AbortSignal;
}

/** A partial copy already at `path` that holds every block these chips need (a redelivery, a resumed run). */
async function heldCopy(path: string, origin: string, req: ChipBlocksRequest): Promise<number | null> {
  const held = await readPartialCopy(path).catch(() => null);
  if (!held || held.origin !== origin) return null;
  try {
    const plan = chipSourcePlan(await readRasterInfo(path), req.chips, { extent: req.extent, resampling: resamplingOf(req.asset.band) });
    return missingChipBlocks(plan, held.blocks).length === 0 ? 0 : null;
  } catch {
    return null;
  }
}

export async function fetchChipBlocks(sources: BandSources, req: ChipBlocksRequest): Promise<ChipBlocksOutcome> {
  const request = { granuleId: req.granuleId, asset: req.asset, datasetDir: req.datasetDir, signal: req.signal };
  const opened = await sources.openRanged(request);
  if (!opened.ok) return opened;
  const band = opened.band;
  try {
    // In place, as a whole-tile run uses it (the path the local source finds).
    if (band.source === 'local') return await sources.fetch(request);
    const cid = band.cid ? { cid: band.cid } : {};
    const out = join(req.datasetDir, tileBandPath(req.granuleId, req.asset.band));
    const origin = band.cid ?? req.asset.href ?? req.asset.filename;
    if ((await heldCopy(out, origin, req)) !== null) return { ok: true, source: band.source, path: out, bytes: 0, reused: true, ...cid };
    await copyChipBlocks(origin, band, req.chips, out, { extent: req.extent, resampling: resamplingOf(req.asset.band), gap: COALESCE_GAP, signal: req.signal });
    return { ok: true, source: band.source, path: out, bytes: band.bytesRead(), reused: false, ...cid };
  } catch (e) {
    if (req.signal?.aborted) throw e;
    // A source failing mid-read says what it says (BandSourceError knows whether it may pass); bytes that
    // are no readable GeoTIFF will not become one.
    const retryable = e instanceof BandSourceError ? e.retryable : isRetryable(e);
    return { ok: false, retryable, tried: [{ source: band.source, error: e instanceof Error ? e.message : String(e), retryable }] };
  } finally {
    await band.close();
  }
}
