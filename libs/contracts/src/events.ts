// Event payloads, one zod schema each, versioned. Services validate every message at the boundary
// (parseEvent); a message that does not validate goes to the DLQ with the zod message.
import { HlsError } from '@hls/common';
import { z } from 'zod';
import { ConfigSchema, hasSecrets } from './config-schema.ts';
import { BAND_SOURCES, BANDS } from './domain.ts';
import { AreaGeometrySchema, BBoxSchema, PolygonSchema } from './geometry.ts';
import { ChipIdSchema, GranuleIdSchema, RunIdSchema, TileIdSchema } from './ids.ts';
import { RunInputsSchema } from './run-inputs.ts';
import { SUBJECTS, type Subject } from './subjects.ts';

export const SCHEMA_VERSION = 1 as const;
const base = { schemaVersion: z.literal(SCHEMA_VERSION), runId: RunIdSchema };
const BandSchema = z.enum(BANDS);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** A run: the resolved config (sources, thresholds, output dir) every service works from. */
export const RunRequestedSchema = z.object({
  ...base,
  requestedAt: z.string(),
  // Events and the KV copy of this one are readable by every client of the server: no credentials.
  config: ConfigSchema.refine((c) => !hasSecrets(c), 'the run config must not carry NATS credentials (user, pass, token, or in nats.url); services take theirs from their own config'),
  /** The run's inputs in the run-inputs object store (services read them there, never from the submitter's disk). */
  inputs: RunInputsSchema,
});

export const ChipIndexedSchema = z.object({
  ...base,
  chipId: ChipIdSchema,
  tileId: TileIdSchema,
  /** The chip box on the CDL grid, EPSG:5070 metres. */
  bbox5070: BBoxSchema,
  /** [lon, lat] centre. */
  center: z.tuple([z.number(), z.number()]),
});

export const TileRequestedSchema = z.object({
  ...base,
  tileId: TileIdSchema,
  chipIds: z.array(ChipIdSchema).min(1),
  /** EPSG code of the tile's UTM zone. */
  epsg: z.number().int(),
  /** The tile's exact UTM footprint [minX, minY, maxX, maxY]. */
  footprintUtm: BBoxSchema,
  /** Search geometry for the STAC query (EPSG:4326). */
  searchGeometry: PolygonSchema,
  /** The chips' EPSG:4326 areas, in chipIds order: granules that touch none of them are no candidates. */
  chipAreas: z.array(AreaGeometrySchema).optional(),
  /** The chips' boxes on the CDL grid (EPSG:5070 metres), in chipIds order: the ledger keeps them for the chip jobs. */
  chipBoxes: z.array(BBoxSchema).optional(),
});

const BandAssetSchema = z.object({
  band: BandSchema,
  /** `<granule>.<band>.tif` */
  filename: z.string(),
  href: z.string().optional(),
  /** s3://bucket/key, bucket included. */
  s3: z.string().optional(),
  cid: z.string().optional(),
  /** File size in bytes, from the granule metadata (ECHO10 AdditionalFile, UMM-G Files). */
  size: z.number().int().nonnegative().optional(),
  /** File checksum from the granule metadata; algorithm as the metadata names it (SHA512, MD5, ...). */
  checksum: z.object({ algorithm: z.string(), value: z.string() }).optional(),
});
export type BandAsset = z.infer<typeof BandAssetSchema>;

export const SceneSchema = z.object({
  granuleId: GranuleIdSchema,
  tileId: TileIdSchema,
  /** Acquisition date YYYY-MM-DD (UTC). */
  date: isoDate,
  sensingTime: z.string().optional(),
  /** Percent 0..100. */
  cloudCover: z.number().min(0).max(100),
  /** Percent 0..100 of the tile with data. */
  spatialCoverage: z.number().min(0).max(100),
  bands: z.array(BandAssetSchema),
  /** Where the metadata came from (item URL, file). */
  source: z.string().optional(),
});
export type Scene = z.infer<typeof SceneSchema>;

const SceneProblemSchema = z.object({ granuleId: z.string().optional(), source: z.string(), message: z.string() });

export const TileSearchedSchema = z.object({
  ...base,
  tileId: TileIdSchema,
  chipIds: z.array(ChipIdSchema).min(1),
  scenes: z.array(SceneSchema),
  /** Documents that could not be read: named, never silently dropped. */
  problems: z.array(SceneProblemSchema).default([]),
});

/** One of the 3 scenes of a tile; `slot` 0/1/2 is its place by date (first, middle, last). */
export const SceneSelectedSchema = z.object({
  ...base,
  tileId: TileIdSchema,
  chipIds: z.array(ChipIdSchema).min(1),
  slot: z.number().int().min(0).max(2),
  scene: SceneSchema,
  /** All three selected granules, in date order. */
  granuleIds: z.array(GranuleIdSchema).length(3),
});

export const TileRejectedSchema = z.object({
  ...base,
  tileId: TileIdSchema,
  chipIds: z.array(ChipIdSchema),
  reason: z.string(),
  detail: z.string(),
});
export const TileFailedSchema = TileRejectedSchema;

export const BandFetchedSchema = z.object({
  ...base,
  tileId: TileIdSchema,
  granuleId: GranuleIdSchema,
  band: BandSchema,
  /**
   * The file to read: relative to the dataset dir (`tiles/<granule>/<granule>.<band>.tif`, downloaded),
   * or absolute (a band used in place in a local granule folder).
   */
  path: z.string(),
  cid: z.string().optional(),
  bytes: z.number().int().nonnegative(),
  /** True when the file was already there and verified: nothing was downloaded. */
  reused: z.boolean().default(false),
  /** Which band source served it. */
  source: z.enum(BAND_SOURCES).default('ipfs'),
});

export const BandReprojectedSchema = z.object({
  ...base,
  tileId: TileIdSchema,
  granuleId: GranuleIdSchema,
  band: BandSchema,
  /** Path relative to the dataset dir: `tiles_reprojected/<granule>.<band>.tif`. */
  path: z.string(),
  /** The CDL-grid window written: [minX, minY, maxX, maxY] in EPSG:5070. */
  bbox5070: BBoxSchema,
  reused: z.boolean().default(false),
});

const SceneRefSchema = z.object({ granuleId: GranuleIdSchema, date: isoDate });
/** A chip with its box on the CDL grid, EPSG:5070 metres: all a chip job needs to know of the chip. */
const ChipBoxSchema = z.object({ chipId: ChipIdSchema, bbox5070: BBoxSchema });

export const TileReprojectedSchema = z.object({
  ...base,
  tileId: TileIdSchema,
  chipIds: z.array(ChipIdSchema).min(1),
  /** The tile's chips with their boxes, in chipIds order. */
  chips: z.array(ChipBoxSchema).min(1),
  /** The 3 scenes in date order. */
  scenes: z.array(SceneRefSchema).length(3),
});

export const ChipClipSchema = z.object({
  ...base,
  tileId: TileIdSchema,
  chipId: ChipIdSchema,
  /** The chip box on the CDL grid, EPSG:5070 metres. */
  bbox5070: BBoxSchema,
  scenes: z.array(SceneRefSchema).length(3),
});

export const QaFiguresSchema = z.object({
  /** Per date: valid Fmask pixel count. */
  validCounts: z.array(z.number().int()).length(3),
  /** Per date: percent of the chip covered by the single most frequent invalid Fmask value. */
  badPercents: z.array(z.number()).length(3),
  /** Nodata pixels over the 18 reflectance bands (-9999) and the Fmask bands (255). */
  nodataCount: z.number().int(),
  /** CDL values the reclass table lacks (set to 0). */
  unmappedCdlPixels: z.number().int().default(0),
});
export type QaFigures = z.infer<typeof QaFiguresSchema>;

export const ChipClippedSchema = z.object({
  ...base,
  tileId: TileIdSchema,
  chipId: ChipIdSchema,
  scenes: z.array(SceneRefSchema).length(3),
  qa: QaFiguresSchema,
  /** Paths relative to the dataset dir. */
  files: z.object({ merged: z.string(), mask: z.string(), fmask: z.string() }),
});

export const ChipAcceptedSchema = z.object({
  ...base,
  chipId: ChipIdSchema,
  tileId: TileIdSchema.optional(),
  qa: QaFiguresSchema.optional(),
});
export const ChipRejectedSchema = z.object({
  ...base,
  chipId: ChipIdSchema,
  tileId: TileIdSchema.optional(),
  /** qa | nodata | no-scenes | no-tile | bad-box | ... */
  reason: z.string(),
  detail: z.string(),
  qa: QaFiguresSchema.optional(),
});
export const ChipFailedSchema = z.object({
  ...base,
  chipId: ChipIdSchema,
  tileId: TileIdSchema.optional(),
  reason: z.string(),
  error: z.string(),
});

const CountsSchema = z.object({ accepted: z.number().int(), rejected: z.number().int(), failed: z.number().int() });
export const RunCompletedSchema = z.object({ ...base, expected: z.number().int(), counts: CountsSchema });
export const DatasetBuiltSchema = z.object({
  ...base,
  datasetDir: z.string(),
  train: z.number().int(),
  val: z.number().int(),
  files: z.array(z.string()),
});

/** What lands on `hls.dlq.<service>` when a message cannot be handled. */
export const DlqMessageSchema = z.object({
  service: z.string(),
  subject: z.string(),
  error: z.string(),
  deliveries: z.number().int(),
  /** The original payload, as UTF-8 text (base64 when it was not valid UTF-8). */
  payload: z.string(),
  payloadEncoding: z.enum(['utf8', 'base64']),
  headers: z.record(z.string(), z.array(z.string())),
  at: z.string(),
});
export type DlqMessage = z.infer<typeof DlqMessageSchema>;

export const EVENT_SCHEMAS = {
  [SUBJECTS.runRequested]: RunRequestedSchema,
  [SUBJECTS.chipIndexed]: ChipIndexedSchema,
  [SUBJECTS.tileRequested]: TileRequestedSchema,
  [SUBJECTS.tileSearched]: TileSearchedSchema,
  [SUBJECTS.sceneSelected]: SceneSelectedSchema,
  [SUBJECTS.tileRejected]: TileRejectedSchema,
  [SUBJECTS.tileFailed]: TileFailedSchema,
  [SUBJECTS.bandFetched]: BandFetchedSchema,
  [SUBJECTS.bandReprojected]: BandReprojectedSchema,
  [SUBJECTS.tileReprojected]: TileReprojectedSchema,
  [SUBJECTS.chipClip]: ChipClipSchema,
  [SUBJECTS.chipClipped]: ChipClippedSchema,
  [SUBJECTS.chipAccepted]: ChipAcceptedSchema,
  [SUBJECTS.chipRejected]: ChipRejectedSchema,
  [SUBJECTS.chipFailed]: ChipFailedSchema,
  [SUBJECTS.runCompleted]: RunCompletedSchema,
  [SUBJECTS.datasetBuilt]: DatasetBuiltSchema,
} as const satisfies Record<Subject, z.ZodType>;

export type EventOf<S extends Subject> = z.infer<(typeof EVENT_SCHEMAS)[S]>;
/** What a publisher passes in: the schema version is filled in. */
export type EventInput<S extends Subject> = Omit<z.input<(typeof EVENT_SCHEMAS)[S]>, 'schemaVersion'>;

/** A message that does not match its subject's schema: redelivering the same bytes cannot help. */
export class EventValidationError extends HlsError {
  readonly subject: string;
  constructor(subject: string, message: string) {
    super('event-validation', `invalid ${subject} event: ${message}`, { retryable: false });
    this.subject = subject;
  }
}

/** Validate a decoded payload for a subject; throws EventValidationError naming the fields at fault. */
export function parseEvent<S extends Subject>(subject: S, data: unknown): EventOf<S> {
  const r = EVENT_SCHEMAS[subject].safeParse(data);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new EventValidationError(subject, issues);
  }
  return r.data as EventOf<S>;
}

/** Build a valid event for a subject (fills schemaVersion, validates). */
export function makeEvent<S extends Subject>(subject: S, input: EventInput<S>): EventOf<S> {
  return parseEvent(subject, { schemaVersion: SCHEMA_VERSION, ...input });
}
