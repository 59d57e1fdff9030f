// NATS subjects of the event flow, the stream that holds them and the KV buckets. Who consumes and
// publishes which subject is written once, in flow.ts.

export const SUBJECTS = {
  runRequested: 'hls.run.requested',
  chipIndexed: 'hls.chip.indexed',
  tileRequested: 'hls.tile.requested',
  tileSearched: 'hls.tile.searched',
  sceneSelected: 'hls.scene.selected',
  tileRejected: 'hls.tile.rejected',
  tileFailed: 'hls.tile.failed',
  bandFetched: 'hls.band.fetched',
  bandReprojected: 'hls.band.reprojected',
  tileReprojected: 'hls.tile.reprojected',
  chipClip: 'hls.cmd.chip.clip',
  chipClipped: 'hls.chip.clipped',
  chipAccepted: 'hls.chip.accepted',
  chipRejected: 'hls.chip.rejected',
  chipFailed: 'hls.chip.failed',
  runCompleted: 'hls.run.completed',
  datasetBuilt: 'hls.dataset.built',
} as const;
export type Subject = (typeof SUBJECTS)[keyof typeof SUBJECTS];

export const STREAMS = {
  /** Every pipeline event. Work-queue semantics come from durable consumers, not the stream. */
  events: { name: 'HLS', subjects: ['hls.>'] },
} as const;

export const dlqSubject = (service: string): string => `hls.dlq.${service}`;

/** KV buckets of per-run state. */
export const KV_BUCKETS = {
  /** Run spec, expected chip count, run status: key `<runId>`, `<runId>.spec`. */
  runs: 'hls-runs',
  /** Tile status and band progress: key `<runId>.<tileId>`. */
  tiles: 'hls-tiles',
  /** Chip status: key `<runId>.<chipId>`. */
  chips: 'hls-chips',
} as const;

/** JetStream Object Store buckets. */
export const OBJECT_BUCKETS = {
  /** Each run's inputs (chip payload, twin, tile grid, reclass table, config): objects `<runId>/<file>`. */
  runInputs: 'hls-run-inputs',
} as const;

export const kvKey = (...parts: string[]): string => parts.join('.');
