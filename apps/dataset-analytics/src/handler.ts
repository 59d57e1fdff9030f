// dataset-analytics: the "compute the dataset" part. When every chip of a run is terminal (counted by the
// service main from KV), buildDataset runs over chips_filtered/ and publishDataset announces it.
import { SUBJECTS, messageId } from '@hls/contracts';
import { buildDataset as buildAnalytics, type BuildDatasetOptions, type DatasetSummary } from '@hls/analytics';
import { assembleTrackChips, refreshFiltered } from '@hls/chips';
import type { ServiceContext } from '@hls/runtime';

/** track_chips.csv from the qa-filter's per-chip records, then split, band stats, class weights, plots. */
export async function buildDataset(datasetDir: string, opts: BuildDatasetOptions = {}): Promise<DatasetSummary> {
  const tracked = await assembleTrackChips(datasetDir);
  const summary = await buildAnalytics(datasetDir, opts);
  return { ...summary, files: tracked > 0 ? ['track_chips.csv', ...summary.files] : summary.files };
}

/** Build the run's dataset with its split settings and publish hls.dataset.ready (deterministic id). */
export async function publishDataset(runId: string, ctx: ServiceContext): Promise<DatasetSummary> {
  ctx.annotate({ runId });
  const [dir, run] = await Promise.all([ctx.datasetDir(runId), ctx.run(runId)]);
  ctx.working();
  // A stale or corrupt copy in chips_filtered/ is redone here rather than failing the whole dataset.
  const refreshed = await refreshFiltered(dir);
  if (refreshed.recopied.length > 0) ctx.log.warn({ files: refreshed.recopied }, `chips_filtered/: ${refreshed.recopied.length} corrupt file(s) copied again from chips/`);
  if (refreshed.removed.length > 0) ctx.log.warn({ chips: refreshed.removed }, `chips_filtered/: removed ${refreshed.removed.length} corrupt chip(s) with no good copy in chips/`);
  const summary = await buildDataset(dir, { seed: run.config.split.seed, trainFraction: run.config.split.train_fraction });
  await ctx.publish(
    SUBJECTS.datasetReady,
    { runId, datasetDir: dir, train: summary.train, val: summary.val, files: summary.files },
    messageId(SUBJECTS.datasetReady, runId),
  );
  return summary;
}
