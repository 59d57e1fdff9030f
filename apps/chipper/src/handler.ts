// chipper: hls.tile.ready -> one hls.chip.clip per chip (so replicas share a big tile's chips);
// hls.chip.clip -> clip merged / Fmask / mask chips and compute QA -> hls.chip.clipped (or
// hls.chip.rejected for a box that is not a 224 x 224 CDL-grid box). Outputs and message ids are
// deterministic, so a redelivery rewrites the same files and publishes the same ids.
import { SUBJECTS, messageId, type BBox } from '@hls/contracts';
import { clipChip, loadReclassTable, type ReclassTable } from '@hls/chips';
import { readChipPayload } from '@hls/geo';
import { PermanentError, TransientError, systemErrorCode, withContext } from '@hls/runtime';
import type { Handler } from '@hls/runtime';

export const handleTileReady: Handler<'hls.tile.ready'> = async (event, ctx) => {
  const { runId, tileId, scenes } = event;
  ctx.annotate({ runId, tileId });
  for (const chipId of event.chipIds) {
    await ctx.publish(SUBJECTS.chipClip, { runId, tileId, chipId, scenes }, messageId(SUBJECTS.chipClip, runId, chipId));
  }
  ctx.log.info({ chips: event.chipIds.length }, 'tile fanned out into chip jobs');
};

/** What the chip handler keeps between messages: the runs' chip boxes (from the payload's EPSG:5070 twin) and reclass tables, read once. */
export interface ChipperDeps {
  boxCache: Map<string, Promise<Map<string, BBox>>>;
  reclassCache: Map<string, Promise<ReclassTable>>;
}

export const chipperCaches = (): ChipperDeps => ({ boxCache: new Map(), reclassCache: new Map() });

function cached<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = load();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

async function chipBoxes(boxCache: ChipperDeps['boxCache'], payload: string): Promise<Map<string, BBox>> {
  return cached(boxCache, payload, async () => new Map((await readChipPayload(payload)).chips.map((c) => [c.id as string, c.bbox5070])));
}

export const chipClipHandler = (deps: ChipperDeps): Handler<'hls.chip.clip'> => async (event, ctx) => {
  const { runId, tileId, chipId } = event;
  ctx.annotate({ runId, tileId, chipId });
  const [dir, run] = await Promise.all([ctx.datasetDir(runId), ctx.run(runId)]);
  const { source, reclass_table } = run.config.cdl;
  if (!source) throw new PermanentError(`chip ${chipId}: run ${runId} has no cdl.source in its config`);
  if (!reclass_table) throw new PermanentError(`chip ${chipId}: run ${runId} has no cdl.reclass_table in its config`);

  let bbox: BBox | undefined;
  let reclass: ReclassTable;
  try {
    bbox = (await chipBoxes(deps.boxCache, run.chipPayload)).get(chipId);
    reclass = await cached(deps.reclassCache, reclass_table, () => loadReclassTable(reclass_table));
  } catch (e) {
    throw new PermanentError(`chip ${chipId}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (!bbox) throw new PermanentError(`chip ${chipId}: not in the chip payload ${run.chipPayload} (or rejected there)`);

  ctx.working();
  let r;
  try {
    r = await clipChip({ chipId, bbox5070: bbox, scenes: event.scenes }, { datasetDir: dir, cdlSource: source, reclass, reuse: true });
  } catch (e) {
    const what = `chip ${chipId} of tile ${tileId}`;
    // A missing band file may still be arriving on a shared volume; anything else is what its error says.
    if (systemErrorCode(e) === 'ENOENT') throw new TransientError(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    throw withContext(what, e);
  }
  if (!r.ok) {
    await ctx.publish(SUBJECTS.chipRejected, { runId, chipId, tileId, reason: r.reason, detail: r.detail }, messageId(SUBJECTS.chipRejected, runId, chipId));
    return;
  }
  ctx.log.info({ qa: r.qa, reused: r.reused ?? false }, r.reused ? 'chip already clipped' : 'chip clipped');
  await ctx.publish(
    SUBJECTS.chipClipped,
    { runId, tileId, chipId, scenes: r.scenes.map((s) => ({ granuleId: s.granuleId, date: s.date })), qa: r.qa, files: r.files },
    messageId(SUBJECTS.chipClipped, runId, chipId),
  );
};
