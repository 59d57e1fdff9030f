// NATS subjects of the event flow (see DESIGN.md), the stream that holds them and the service names.

export const SUBJECTS = {
  runRequested: 'hls.run.requested',
  chipIndexed: 'hls.chip.indexed',
  tileRequested: 'hls.tile.requested',
  tileScenes: 'hls.tile.scenes',
  sceneSelected: 'hls.scene.selected',
  tileRejected: 'hls.tile.rejected',
  tileFailed: 'hls.tile.failed',
  bandFetched: 'hls.band.fetched',
  bandReprojected: 'hls.band.reprojected',
  tileReady: 'hls.tile.ready',
  chipClip: 'hls.chip.clip',
  chipClipped: 'hls.chip.clipped',
  chipAccepted: 'hls.chip.accepted',
  chipRejected: 'hls.chip.rejected',
  chipFailed: 'hls.chip.failed',
  runCompleted: 'hls.run.completed',
  datasetReady: 'hls.dataset.ready',
} as const;
export type Subject = (typeof SUBJECTS)[keyof typeof SUBJECTS];

/** The terminal chip subjects: every chip of a run ends on exactly one of them. */
export const CHIP_TERMINAL_SUBJECTS = [SUBJECTS.chipAccepted, SUBJECTS.chipRejected, SUBJECTS.chipFailed] as const;

export const STREAMS = {
  /** Every pipeline event. Work-queue semantics come from durable consumers, not the stream. */
  events: { name: 'HLS', subjects: ['hls.>'] },
} as const;

export const dlqSubject = (service: string): string => `hls.dlq.${service}`;

export const SERVICES = [
  'chip-index',
  'stac-scout',
  'scene-selector',
  'ipfs-fetcher',
  'reprojector',
  'chipper',
  'qa-filter',
  'dataset-analytics',
] as const;
export type ServiceName = (typeof SERVICES)[number];

/** What each service consumes. A service with several subjects has one durable consumer per subject. */
export const SERVICE_SUBJECTS: Record<ServiceName, readonly Subject[]> = {
  'chip-index': [SUBJECTS.runRequested],
  'stac-scout': [SUBJECTS.tileRequested],
  'scene-selector': [SUBJECTS.tileScenes],
  'ipfs-fetcher': [SUBJECTS.sceneSelected],
  reprojector: [SUBJECTS.bandFetched],
  chipper: [SUBJECTS.tileReady, SUBJECTS.chipClip],
  'qa-filter': [SUBJECTS.chipClipped],
  // Terminal chips decide the run's completion; hls.run.completed (from whichever service saw the last
  // chip, or chip-index for a run without chips) starts the dataset step.
  'dataset-analytics': [...CHIP_TERMINAL_SUBJECTS, SUBJECTS.runCompleted],
};

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
