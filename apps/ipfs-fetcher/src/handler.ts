// ipfs-fetcher: for each selected scene, fetch its 7 band files by CID into
// `tiles/<granule>/<granule>.<band>.tif`, every block verified, and publish hls.band.fetched per band once
// all 7 are in. A band whose CID cannot be had (after the configured retries, or whose bytes never verify)
// fails the tile and its chips with reason `cid-unavailable: <cid>`; that is a domain outcome, not an error.
import { join } from 'node:path';
import { BANDS, SUBJECTS, messageId, tileBandPath, type Band, type GranuleId } from '@hls/contracts';
import { BlockVerificationError, CidUnavailableError, UnsupportedDagError, createFetcher, type Fetcher, type IpfsSettings } from '@hls/ipfs';
import { TransientError, type Handler } from '@hls/runtime';

// One fetcher per IPFS configuration in this process, so concurrent scenes share one concurrency limit.
const fetchers = new Map<string, Promise<Fetcher>>();
function fetcherFor(cfg: IpfsSettings): Promise<Fetcher> {
  const key = JSON.stringify(cfg);
  let f = fetchers.get(key);
  if (!f) {
    f = createFetcher(cfg);
    fetchers.set(key, f);
    f.catch(() => fetchers.delete(key));
  }
  return f;
}

/** Close the fetchers this process opened (service shutdown, tests). */
export async function closeFetchers(): Promise<void> {
  const all = [...fetchers.values()];
  fetchers.clear();
  for (const f of all) await (await f).close().catch(() => undefined);
}

type BandOutcome =
  | { band: Band; ok: true; cid: string; path: string; bytes: number; reused: boolean }
  | { band: Band; ok: false; cid: string; reason: string; error: string };

export const handleSceneSelected: Handler<'hls.scene.selected'> = async (event, ctx) => {
  const { runId, tileId, scene } = event;
  const granule = scene.granuleId as GranuleId;
  ctx.annotate({ runId, tileId, granuleId: granule });
  const run = await ctx.run(runId);
  const dataset = await ctx.datasetDir(runId);
  const fetcher = await fetcherFor(run.config.ipfs);

  let lastBeat = 0;
  const beat = (): void => {
    if (Date.now() - lastBeat < 5_000) return;
    lastBeat = Date.now();
    ctx.working();
  };

  const outcomes = await Promise.all(
    BANDS.map(async (band): Promise<BandOutcome> => {
      const asset = scene.bands.find((b) => b.band === band);
      if (!asset?.cid) {
        return { band, ok: false, cid: 'none', reason: `cid-unavailable: none`, error: `scene ${granule} lists no CID for band ${band}` };
      }
      const rel = tileBandPath(granule, band);
      try {
        const r = await fetcher.fetchToFile(asset.cid, join(dataset, rel), { context: { granule, band }, signal: ctx.signal, onProgress: beat });
        return { band, ok: true, cid: r.cid, path: rel, bytes: r.bytes, reused: r.reused };
      } catch (e) {
        // No backend reachable at all says nothing about the CID: retry the scene later.
        if (e instanceof CidUnavailableError && e.unreachable) {
          throw new TransientError(`fetching ${band} of ${granule} (${asset.cid}): no IPFS backend reachable: ${e.message}`, { cause: e });
        }
        if (e instanceof CidUnavailableError || e instanceof BlockVerificationError || e instanceof UnsupportedDagError) {
          return { band, ok: false, cid: asset.cid, reason: `cid-unavailable: ${asset.cid}`, error: e.message };
        }
        if (ctx.signal.aborted) throw e;
        throw new TransientError(`fetching ${band} of ${granule} (${asset.cid}) into ${rel}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    }),
  );

  const failed = outcomes.filter((o): o is Extract<BandOutcome, { ok: false }> => !o.ok);
  if (failed.length > 0) {
    const first = failed[0] as Extract<BandOutcome, { ok: false }>;
    const detail = failed.map((f) => `${f.band}: ${f.error}`).join('; ');
    ctx.log.warn({ granule, tileId, failed: failed.map((f) => f.band) }, `scene ${granule}: ${detail}`);
    await ctx.publish(
      SUBJECTS.tileFailed,
      { runId, tileId, chipIds: event.chipIds, reason: first.reason, detail: `scene ${granule}: ${detail}` },
      messageId(SUBJECTS.tileFailed, runId, tileId),
    );
    for (const chipId of event.chipIds) {
      await ctx.publish(
        SUBJECTS.chipFailed,
        { runId, chipId, tileId, reason: first.reason, error: `scene ${granule}, band ${first.band}: ${first.error}` },
        messageId(SUBJECTS.chipFailed, runId, chipId),
      );
    }
    return;
  }
  for (const o of outcomes) {
    if (!o.ok) continue;
    await ctx.publish(
      SUBJECTS.bandFetched,
      { runId, tileId, granuleId: granule, band: o.band, path: o.path, cid: o.cid, bytes: o.bytes, reused: o.reused },
      messageId(SUBJECTS.bandFetched, runId, granule, o.band),
    );
  }
};
