// ipfs-fetcher: for each selected scene, get its 7 band files from the configured band sources in order
// (`band_sources`: local granule folders in place, IPFS by CID, HTTPS with Earthdata Login), each verified,
// and publish hls.band.fetched per band (with the source that served it and the path to read) once all 7
// are in. A band no source can serve fails the tile and its chips with reason
// `band-unavailable: <band> (tried <sources>)`: a domain outcome, not an error. A source failing
// transiently (no IPFS backend reachable, 5xx, 429, timeouts) when none served the band naks the scene.
import { isAbsolute, join, relative } from 'node:path';
import { BANDS, SUBJECTS, messageId, tileBandPath, type Band, type BandSourceName, type GranuleId } from '@hls/contracts';
import { BandSources, bandSourceSettings, bandUnavailableReason, type BandOutcome, type BandRequest, type BandSourceSettings } from '@hls/bands';
import { discardPartialCopy } from '@hls/raster';
import { PermanentError, TransientError, forEachInWindow, type Handler } from '@hls/runtime';
import { fetchChipBlocks } from './chip-blocks.ts';

export interface IpfsFetcherDeps {
  /** The band sources of a run's settings (`band_sources`, IPFS backends, HTTPS, local folders). */
  sources(settings: BandSourceSettings): BandSources;
}

/**
 * One set of sources per configuration, so concurrent scenes share its limits and session; close() closes
 * every set it opened.
 */
export function bandSourceSets(): { sources(settings: BandSourceSettings): BandSources; close(): Promise<void> } {
  const sets = new Map<string, BandSources>();
  return {
    sources(settings) {
      const key = JSON.stringify(settings);
      let s = sets.get(key);
      if (!s) sets.set(key, (s = new BandSources(settings)));
      return s;
    },
    async close() {
      const all = [...sets.values()];
      sets.clear();
      for (const s of all) await s.close().catch(() => undefined);
    },
  };
}

type Served = { band: Band; ok: true; source: BandSourceName; path: string; bytes: number; reused: boolean; cid?: string };
type Unserved = { band: Band; ok: false; reason: string; error: string };

/**
 * The whole band file (tiles mode). A chips-mode partial copy at the download's path goes first: it has the
 * file's size, and a source that checks no more than size would take its holes for data.
 */
async function wholeBand(sources: BandSources, req: BandRequest): Promise<BandOutcome> {
  await discardPartialCopy(join(req.datasetDir, tileBandPath(req.granuleId, req.asset.band)));
  return sources.fetch(req);
}

export const sceneSelectedHandler = (deps: IpfsFetcherDeps): Handler<'hls.scene.selected'> => async (event, ctx) => {
  const { runId, tileId, scene } = event;
  const granule = scene.granuleId as GranuleId;
  ctx.annotate({ runId, tileId, granuleId: granule });
  const run = await ctx.run(runId);
  const dataset = await ctx.datasetDir(runId);
  const sources = deps.sources(bandSourceSettings(run.config));

  let lastBeat = 0;
  const beat = (): void => {
    if (Date.now() - lastBeat < 5_000) return;
    lastBeat = Date.now();
    ctx.working();
  };

  // Chips mode: only the header and the blocks under the tile's chips (their boxes are in the ledger).
  const chips = run.config.processing === 'chips' ? ((await ctx.ledger.tile(runId, tileId))?.chips?.map((c) => c.bbox5070) ?? []) : undefined;
  if (chips?.length === 0) throw new PermanentError(`tile ${tileId} of run ${runId}: the run ledger holds no chip boxes for it (processing: chips fetches only the chips)`);

  const outcomes = await Promise.all(
    BANDS.map(async (band): Promise<Served | Unserved> => {
      const asset = scene.bands.find((b) => b.band === band) ?? { band, filename: `${granule}.${band}.tif` };
      const r = chips
        ? await fetchChipBlocks(sources, { granuleId: granule, asset, datasetDir: dataset, chips, extent: run.config.reproject.extent, signal: ctx.signal })
        : await wholeBand(sources, { granuleId: granule, asset, datasetDir: dataset, signal: ctx.signal, onProgress: beat });
      if (r.ok) {
        // Downloads are named relative to the dataset; a band used in place keeps its absolute path.
        const rel = relative(dataset, r.path);
        const path = rel.startsWith('..') || isAbsolute(rel) ? r.path : rel;
        return { band, ok: true, source: r.source, path, bytes: r.bytes, reused: r.reused, ...(r.cid ? { cid: r.cid } : {}) };
      }
      const detail = r.tried.map((t) => `${t.source}: ${t.error}`).join('; ');
      if (r.retryable) throw new TransientError(`band ${band} of ${granule}: no source served it yet: ${detail}`);
      return { band, ok: false, reason: bandUnavailableReason(band, r.tried), error: detail };
    }),
  );

  const failed = outcomes.filter((o): o is Unserved => !o.ok);
  if (failed.length > 0) {
    const first = failed[0] as Unserved;
    const detail = failed.map((f) => `${f.band}: ${f.error}`).join('; ');
    ctx.log.warn({ granule, tileId, failed: failed.map((f) => f.band) }, `scene ${granule}: ${detail}`);
    await ctx.publish(
      SUBJECTS.tileFailed,
      { runId, tileId, chipIds: event.chipIds, reason: first.reason, detail: `scene ${granule}: ${detail}` },
      messageId(SUBJECTS.tileFailed, runId, tileId),
    );
    await forEachInWindow(event.chipIds, (chipId) =>
      ctx.publish(
        SUBJECTS.chipFailed,
        { runId, chipId, tileId, reason: first.reason, error: `scene ${granule}, band ${first.band}: ${first.error}` },
        messageId(SUBJECTS.chipFailed, runId, chipId),
      ),
    );
    return;
  }
  for (const o of outcomes) {
    if (!o.ok) continue;
    await ctx.publish(
      SUBJECTS.bandFetched,
      { runId, tileId, granuleId: granule, band: o.band, path: o.path, ...(o.cid ? { cid: o.cid } : {}), bytes: o.bytes, reused: o.reused, source: o.source },
      messageId(SUBJECTS.bandFetched, runId, granule, o.band),
    );
  }
};
