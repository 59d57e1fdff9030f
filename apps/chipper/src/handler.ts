// chipper: hls.tile.reprojected -> one hls.cmd.chip.clip per chip with its box (so replicas share a big tile's
// chips); hls.cmd.chip.clip -> clip merged / Fmask / mask chips and compute QA -> hls.chip.clipped (or
// hls.chip.rejected for a box that is not a 224 x 224 CDL-grid box). Outputs and message ids are
// deterministic, so a redelivery rewrites the same files and publishes the same ids.
import { SUBJECTS, messageId } from '@hls/contracts';
import { availableParallelism } from 'node:os';
import { ClipThread, TileRasters, clipChip, parseReclassTable, type ReclassTable } from '@hls/chips';
import { PermanentError, TransientError, forEachInWindow, systemErrorCode, withContext } from '@hls/runtime';
import type { Handler, ServiceContext } from '@hls/runtime';

export const handleTileReprojected: Handler<'hls.tile.reprojected'> = async (event, ctx) => {
  const { runId, tileId, scenes } = event;
  ctx.annotate({ runId, tileId });
  await forEachInWindow(event.chips, ({ chipId, bbox5070 }) => ctx.publish(SUBJECTS.chipClip, { runId, tileId, chipId, bbox5070, scenes }, messageId(SUBJECTS.chipClip, runId, chipId)));
  ctx.log.info({ chips: event.chips.length }, 'tile fanned out into chip jobs');
};

/**
 * What the chip handler keeps between messages: the runs' reclass tables, read once, by the SHA-256 of their
 * objects; the open band files of the tiles being clipped on the event loop; the clip thread (on a machine with
 * more than one core).
 */
export interface ChipperDeps {
  reclassCache: Map<string, Promise<ReclassTable>>;
  tileRasters: TileRasters;
  clipThread?: ClipThread;
}

/** `clipThread`: start one (default: when the machine has more than one core). */
export const chipperCaches = (o: { clipThread?: boolean } = {}): ChipperDeps => ({
  reclassCache: new Map(),
  tileRasters: new TileRasters(),
  ...((o.clipThread ?? availableParallelism() > 1) ? { clipThread: new ClipThread() } : {}),
});

/** Chip jobs a chipper takes at once unless the config says: one on the event loop, one for the clip thread. */
export const chipperConcurrency = (deps: ChipperDeps): number => (deps.clipThread ? 2 : 1);

/** Close the clip thread and the band files still open. */
export async function closeChipper(deps: ChipperDeps): Promise<void> {
  await deps.clipThread?.close();
  await deps.tileRasters.close();
}

function cached<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = load();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The run's CDL reclass table from its object. */
async function reclassTable(deps: ChipperDeps, ctx: ServiceContext, runId: string): Promise<ReclassTable> {
  const ref = (await ctx.run(runId)).inputs.reclassTable;
  if (!ref) throw new PermanentError(`run ${runId}: no cdl.reclass_table was submitted with the run`);
  return cached(deps.reclassCache, ref.sha256, async () => {
    const input = await ctx.runInput(runId, 'reclassTable');
    if (!input) throw new PermanentError(`run ${runId}: no cdl.reclass_table was submitted with the run`);
    try {
      return parseReclassTable(text(input.bytes), input.label);
    } catch (e) {
      throw new PermanentError(`run ${runId}: ${(e as Error).message}`, { cause: e });
    }
  });
}

export const chipClipHandler = (deps: ChipperDeps): Handler<'hls.cmd.chip.clip'> => async (event, ctx) => {
  const { runId, tileId, chipId, bbox5070: bbox } = event;
  ctx.annotate({ runId, tileId, chipId });
  const [dir, run] = await Promise.all([ctx.datasetDir(runId), ctx.run(runId)]);
  const { source } = run.config.cdl;
  if (!source) throw new PermanentError(`chip ${chipId}: run ${runId} has no cdl.source in its config`);

  const reclass = await reclassTable(deps, ctx, runId);

  ctx.working();
  let r;
  try {
    const input = { chipId, bbox5070: bbox, scenes: event.scenes };
    const options = { datasetDir: dir, cdlSource: source, reclass, reuse: true, quicklooks: run.config.quicklooks };
    // The event loop (the process's priority) takes a chip first; the clip thread (the lowest) one beside it.
    r =
      deps.tileRasters.inUse > 0 && deps.clipThread?.free
        ? await deps.clipThread.clip({ runId, tileId, input, options })
        : await deps.tileRasters.use(runId, tileId, (cache) => clipChip(input, { ...options, cache }));
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
