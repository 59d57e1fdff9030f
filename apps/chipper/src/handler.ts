// chipper: hls.tile.ready -> one hls.chip.clip per chip with its box (so replicas share a big tile's
// chips); hls.chip.clip -> clip merged / Fmask / mask chips and compute QA -> hls.chip.clipped (or
// hls.chip.rejected for a box that is not a 224 x 224 CDL-grid box). Outputs and message ids are
// deterministic, so a redelivery rewrites the same files and publishes the same ids.
import { SUBJECTS, messageId } from '@hls/contracts';
import { clipChip, loadReclassTable, type ReclassTable } from '@hls/chips';
import { RasterReadError } from '@hls/raster';
import { PermanentError, TransientError } from '@hls/runtime';
import type { Handler } from '@hls/runtime';

export const handleTileReady: Handler<'hls.tile.ready'> = async (event, ctx) => {
  const { runId, tileId, scenes } = event;
  ctx.annotate({ runId, tileId });
  for (const { chipId, bbox5070 } of event.chips) {
    await ctx.publish(SUBJECTS.chipClip, { runId, tileId, chipId, bbox5070, scenes }, messageId(SUBJECTS.chipClip, runId, chipId));
  }
  ctx.log.info({ chips: event.chips.length }, 'tile fanned out into chip jobs');
};

// Per process: the reclass tables, read once.
const reclassCache = new Map<string, Promise<ReclassTable>>();

function cached<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = load();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

export const handleChipClip: Handler<'hls.chip.clip'> = async (event, ctx) => {
  const { runId, tileId, chipId, bbox5070: bbox } = event;
  ctx.annotate({ runId, tileId, chipId });
  const [dir, run] = await Promise.all([ctx.datasetDir(runId), ctx.run(runId)]);
  const { source, reclass_table } = run.config.cdl;
  if (!source) throw new PermanentError(`chip ${chipId}: run ${runId} has no cdl.source in its config`);
  if (!reclass_table) throw new PermanentError(`chip ${chipId}: run ${runId} has no cdl.reclass_table in its config`);

  let reclass: ReclassTable;
  try {
    reclass = await cached(reclassCache, reclass_table, () => loadReclassTable(reclass_table));
  } catch (e) {
    throw new PermanentError(`chip ${chipId}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }

  ctx.working();
  let r;
  try {
    r = await clipChip({ chipId, bbox5070: bbox, scenes: event.scenes }, { datasetDir: dir, cdlSource: source, reclass, reuse: true, quicklooks: run.config.quicklooks });
  } catch (e) {
    const msg = `chip ${chipId} of tile ${tileId}: ${e instanceof Error ? e.message : String(e)}`;
    // A file that is there but unreadable will not get better; a missing one may still be arriving.
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT' || /ENOENT|no such file/i.test(String(e));
    throw e instanceof RasterReadError && !missing ? new PermanentError(msg, { cause: e }) : new TransientError(msg, { cause: e });
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
