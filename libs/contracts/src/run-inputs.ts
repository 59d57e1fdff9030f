// A run's inputs travel in the run-inputs object store (OBJECT_BUCKETS.runInputs), not as paths: the services
// of a deployment cannot read the submitter's disk. hls.run.requested carries one reference per input.
import { z } from 'zod';

/** The inputs a run uploads, and the object name of each under `<runId>/`. */
export const RUN_INPUT_FILES = {
  /** The chip payload, EPSG:4326 GeoJSON, as submitted. */
  chipPayload: 'chips.geojson',
  /** Its EPSG:5070 twin, when the submitter had one (chip-index derives the boxes otherwise). */
  chipPayloadTwin: 'chips_5070.geojson',
  /** The Sentinel-2 tile grid, parsed, in the compact JSON form of @hls/geo (gridToCache). */
  grid: 'grid.json',
  /** The CDL reclass table (cdl_total_dst.csv). */
  reclassTable: 'reclass.csv',
  /** The run's config without NATS credentials (JSON): the record of what was asked. */
  config: 'config.json',
} as const;
export type RunInputName = keyof typeof RUN_INPUT_FILES;

/** Object name of one input of a run: `<runId>/chips.geojson`. */
export const runInputObject = (runId: string, input: RunInputName): string => `${runId}/${RUN_INPUT_FILES[input]}`;

export const RunInputRefSchema = z
  .object({
    /** Object name in the run-inputs bucket. */
    object: z.string().min(1),
    /** SHA-256 of the bytes, hex: a reader checks it. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256'),
    bytes: z.number().int().nonnegative(),
    /** The file it was uploaded from, as the submitter named it: for messages only, never read. */
    source: z.string().optional(),
  })
  .strict();
export type RunInputRef = z.infer<typeof RunInputRefSchema>;

export const RunInputsSchema = z
  .object({
    chipPayload: RunInputRefSchema,
    chipPayloadTwin: RunInputRefSchema.optional(),
    grid: RunInputRefSchema,
    reclassTable: RunInputRefSchema.optional(),
    config: RunInputRefSchema,
  })
  .strict();
export type RunInputs = z.infer<typeof RunInputsSchema>;
