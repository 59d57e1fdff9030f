// reprojector: hls.band.fetched -> warp the band onto the CDL grid -> hls.band.reprojected.
// Idempotent: a valid existing output is reused; the output path and message id are deterministic.
// Whether the tile is complete and the hls.tile.reprojected publish are wired in index.ts with the tiles KV
// compare-and-set. The warp worker pool is a dependency, given by whoever makes the handler.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { SUBJECTS, resamplingOf, bandFileName, confinedBandPath, granuleFoldersOf, messageId, reprojectedBandPath } from '@hls/contracts';
import type { Band } from '@hls/contracts';
import {
  checkedReprojectWindow,
  chipSourcePlan,
  createReprojectPool,
  isValidReprojection,
  missingBlocksError,
  missingChipBlocks,
  readPartialCopy,
  readRasterInfo,
  reprojectThreads,
  windowBounds,
} from '@hls/raster';
import type { Box, ChipSourcePlan, ReprojectPool, Resampling } from '@hls/raster';
import { PermanentError, TransientError, processMetrics, withContext } from '@hls/runtime';
import type { Handler, ServiceContext } from '@hls/runtime';

/** Bilinear for reflectance, nearest for the categorical Fmask (one rule, in contracts: the fetcher plans with it too). */
export const resamplingFor = (band: Band): Resampling => resamplingOf(band);

export interface ReprojectorDeps {
  /** The warp worker pool; `workers` is the run's `reproject.workers` (0: one per CPU). */
  pool(workers: number): ReprojectPool;
}

/**
 * One pool for the process, made on first use with the first run's `reproject.workers` (piscina is loaded only
 * then); close() stops its threads. warm() makes it ahead of any run, one thread per core, started at once so
 * the first bands do not wait for the threads to load the warp code; a first run asking another number of
 * threads replaces it.
 */
export function lazyReprojectPool(): { pool(workers: number): ReprojectPool; warm(): void; close(): Promise<void> } {
  let made: ReprojectPool | undefined;
  let warmedOnly = false;
  return {
    pool(workers) {
      if (made && warmedOnly && made.threads !== reprojectThreads(workers)) {
        void made.close();
        made = undefined;
      }
      warmedOnly = false;
      return (made ??= createReprojectPool(workers));
    },
    warm() {
      if (made) return;
      made = createReprojectPool(0);
      warmedOnly = true;
      // A thread that cannot start fails the first band too, with its reason; here it is only a head start.
      made.warm().catch(() => undefined);
    },
    async close() {
      const p = made;
      made = undefined;
      await p?.close();
    },
  };
}

/** The tile's chip boxes, kept by the ledger since hls.tile.requested. */
async function tileChipBoxes(ctx: ServiceContext, runId: string, tileId: string): Promise<Box[]> {
  const boxes = (await ctx.ledger.tile(runId, tileId))?.chips?.map((c) => c.bbox5070) ?? [];
  if (boxes.length === 0) throw new PermanentError(`tile ${tileId} of run ${runId}: the run ledger holds no chip boxes for it (processing: chips warps only the chips)`);
  return boxes;
}

export const bandFetchedHandler = (deps: ReprojectorDeps): Handler<'hls.band.fetched'> => async (event, ctx) => {
  const { runId, tileId, granuleId, band } = event;
  ctx.annotate({ runId, tileId, granuleId });
  const [dir, run] = await Promise.all([ctx.datasetDir(runId), ctx.run(runId)]);
  const { extent, workers } = run.config.reproject;
  const maxPixels = run.config.limits.max_raster_pixels;
  // The path the fetcher published: relative to the dataset (a download) or absolute (a band in place, in one
  // of the run's granule folders). Anything else is refused: an event is input, not a licence to read files.
  const input = confinedBandPath(dir, event.path, granuleId, band, granuleFoldersOf(run.config));
  if (input === null) {
    throw new PermanentError(`granule ${granuleId} band ${band}: event path ${JSON.stringify(event.path)} is not ${bandFileName(granuleId, band)} inside the dataset or the run's granule folders`);
  }
  const rel = reprojectedBandPath(granuleId, band);
  const output = join(dir, rel);

  try {
    await access(input);
  } catch (e) {
    // The fetcher said it is there: most likely not yet visible on a shared volume.
    throw new TransientError(`granule ${granuleId} band ${band}: input ${input} is missing`, { cause: e });
  }

  // Header, georeferencing, data extent and size limits are checked here, in this thread, so a corrupt,
  // unsupported or oversized input is a permanent error (the fetcher verified its bytes; retrying cannot help).
  let window;
  // A partial copy (ranged fetch) holds only some blocks: the warp must need no other.
  let availableBlocks: number[] | undefined;
  let chips: Box[] | undefined;
  // Chips mode: the plan, made here (the fetcher made it of the same band; this process may hold it) and given to the warp thread.
  let plan: ChipSourcePlan | undefined;
  try {
    const info = await readRasterInfo(input);
    window = checkedReprojectWindow(info, extent, maxPixels);
    // Chips mode: only the windows of the tile's chips (their boxes are in the ledger since hls.tile.requested).
    chips = run.config.processing === 'chips' ? await tileChipBoxes(ctx, runId, tileId) : undefined;
    plan = chips ? chipSourcePlan(info, chips, { extent, resampling: resamplingFor(band) }) : undefined;
    availableBlocks = chips ? (await readPartialCopy(input))?.blocks : undefined;
    if (plan && availableBlocks) {
      const missing = missingChipBlocks(plan, availableBlocks);
      if (missing.length > 0) throw missingBlocksError(input, missing);
    }
  } catch (e) {
    throw withContext(`granule ${granuleId} band ${band}: cannot reproject ${input}`, e);
  }

  let bbox5070: [number, number, number, number];
  let reused = false;
  if (await isValidReprojection(output, input, extent, chips)) {
    bbox5070 = windowBounds(window);
    reused = true;
    ctx.log.info({ output }, 'reprojected band already present and valid');
  } else {
    ctx.working();
    try {
      const t0 = performance.now();
      const r = await deps.pool(workers).reproject(input, output, { resampling: resamplingFor(band), extent, maxPixels, chips, availableBlocks, plan });
      processMetrics().warped(band, (performance.now() - t0) / 1000);
      bbox5070 = r.bbox5070;
      ctx.log.info(
        { output, width: r.window.width, height: r.window.height, maxTransformError: r.maxTransformError, blocksRead: r.blocksRead, pixelsWarped: r.pixelsWarped },
        chips ? 'chip windows reprojected' : 'band reprojected',
      );
    } catch (e) {
      // The input passed the checks above; a failure in the worker (its class lost crossing the thread) may pass.
      throw new TransientError(`granule ${granuleId} band ${band}: cannot reproject ${input}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  await ctx.publish(
    SUBJECTS.bandReprojected,
    { runId, tileId, granuleId, band, path: rel, bbox5070, reused },
    messageId(SUBJECTS.bandReprojected, runId, granuleId, band),
  );
};
