// dataset-analytics: the "compute the dataset" part. When the run is complete (hls.run.completed),
// buildDataset runs over the run's own accepted chips and publishDataset announces it.
import { SUBJECTS, messageId, withoutSecrets, type ChipTerminalState } from '@hls/contracts';
import { buildDataset as buildAnalytics, type BuildDatasetOptions, type DatasetSummary } from '@hls/analytics';
import { assembleTrackChips, refreshFiltered } from '@hls/chips';
import { software, sourceCatalogueOf, writeDatasetCard, writeDatasetStac } from '@hls/dataset-stac';
import { chipIdsIn, type RunCounts } from '@hls/ledger';
import { TransientError, systemErrorCode, type ServiceContext } from '@hls/runtime';

/** The run's own chips: accepted ones feed the analytics, every terminal one may have a track row. */
export interface RunChips {
  accepted: readonly string[];
  terminal: readonly string[];
}

/** The run's chips and each terminal chip's outcome, from one read of its chip records. */
async function runChips(ctx: ServiceContext, runId: string): Promise<RunChips & { outcomes: Array<{ state: ChipTerminalState; reason?: string }> }> {
  const records = await ctx.ledger.chips(runId);
  const [accepted, rejected, failed] = (['accepted', 'rejected', 'failed'] as const).map((s) => chipIdsIn(records, s));
  const outcomes = [...records.values()].map((c) => ({ state: c.state, ...(c.reason ? { reason: c.reason } : {}) }));
  return { accepted: accepted!, terminal: [...accepted!, ...rejected!, ...failed!], outcomes };
}

/** track_chips.csv from the qa-filter's per-chip records, then split, band stats, class weights, plots. */
export async function buildDataset(datasetDir: string, chips: RunChips, opts: Omit<BuildDatasetOptions, 'chipIds'> = {}): Promise<DatasetSummary> {
  const tracked = await assembleTrackChips(datasetDir, chips.terminal);
  const summary = await buildAnalytics(datasetDir, { ...opts, chipIds: chips.accepted });
  return { ...summary, files: tracked > 0 ? ['track_chips.csv', ...summary.files] : summary.files };
}

/**
 * Build the run's dataset from its own chips with its split settings, publish hls.dataset.built
 * (deterministic id) and record the run finished in the ledger.
 */
export async function publishDataset(runId: string, ctx: ServiceContext, counts: RunCounts): Promise<DatasetSummary> {
  ctx.annotate({ runId });
  const [dir, run, chips] = await Promise.all([ctx.datasetDir(runId), ctx.run(runId), runChips(ctx, runId)]);
  ctx.working();
  let summary: DatasetSummary;
  try {
    // A stale or corrupt copy in chips_filtered/ is redone here rather than failing the whole dataset.
    const refreshed = await refreshFiltered(dir);
    if (refreshed.recopied.length > 0) ctx.log.warn({ files: refreshed.recopied }, `chips_filtered/: ${refreshed.recopied.length} corrupt file(s) copied again from chips/`);
    if (refreshed.removed.length > 0) ctx.log.warn({ chips: refreshed.removed }, `chips_filtered/: removed ${refreshed.removed.length} corrupt chip(s) with no good copy in chips/`);
    summary = await buildDataset(dir, chips, { seed: run.config.split.seed, trainFraction: run.config.split.train_fraction });
  } catch (e) {
    // The qa-filter wrote the chips before it published: a missing file is a shared volume still catching up.
    if (systemErrorCode(e) === 'ENOENT') throw new TransientError(`run ${runId}: dataset: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    throw e;
  }
  if (summary.empty) ctx.log.warn(`run ${runId}: ${summary.empty}`);
  const src = sourceCatalogueOf(run.config);
  const stac = await writeDatasetStac(dir, {
    chipIds: chips.accepted,
    software: software(),
    ...(run.config.dataset ? { describe: run.config.dataset } : {}),
    ...(src.catalogue ? { sourceCatalogue: src.catalogue } : {}),
    ...(src.itemUrl ? { sourceItemUrl: src.itemUrl } : {}),
  });
  if (stac.skipped.length > 0) ctx.log.warn({ chips: stac.skipped }, `stac/: ${stac.skipped.length} accepted chip(s) left out of the catalog`);
  summary.files.push(...stac.files);
  const card = await writeDatasetCard(dir, {
    chipIds: chips.accepted,
    outcomes: chips.outcomes,
    config: withoutSecrets(run.config),
    software: software(),
    ...(run.config.dataset ? { describe: run.config.dataset } : {}),
    ...(src.catalogue ? { sourceCatalogue: src.catalogue } : {}),
  });
  summary.files.push(card.file);
  await ctx.publish(
    SUBJECTS.datasetBuilt,
    { runId, datasetDir: dir, train: summary.train, val: summary.val, files: summary.files },
    messageId(SUBJECTS.datasetBuilt, runId),
  );
  await ctx.ledger.recordRunFinished(runId, { counts, train: summary.train, val: summary.val, files: summary.files, ...(summary.empty ? { empty: summary.empty } : {}) });
  return summary;
}
