// The ledger's records, typed and validated when read: what KV holds of a run, its tiles and its chips.
import { z } from 'zod';
import { BBoxSchema, CHIP_TERMINAL_STATES, ChipIdSchema, GranuleIdSchema, PROGRESS_STATES, RunRequestedSchema } from '@hls/contracts';

export const RunCountsSchema = z.object({ accepted: z.number().int(), rejected: z.number().int(), failed: z.number().int() });
export type RunCounts = z.infer<typeof RunCountsSchema>;
export const emptyCounts = (): RunCounts => ({ accepted: 0, rejected: 0, failed: 0 });
export const total = (c: RunCounts): number => c.accepted + c.rejected + c.failed;

/** The run's request as submitted (key `<runId>.spec`): config and inputs every service works from. */
export const RunSpecSchema = RunRequestedSchema;
export type RunSpec = z.infer<typeof RunSpecSchema>;

const InvalidFeatureSchema = z.object({ index: z.number().int(), id: z.string().nullable(), standInId: z.string(), reason: z.string(), detail: z.string() });

/** What chip-index found (key `<runId>`): the number of chips whose terminal events complete the run. */
export const RunRecordSchema = z.object({
  expectedChips: z.number().int().nonnegative(),
  chipIndex: z
    .object({
      assigned: z.number().int(),
      rejected: z.number().int(),
      tiles: z.number().int(),
      /** Features with no usable chip id (missing, unsafe, a repeat): rejected under their stand-in id. */
      invalidFeatures: z.array(InvalidFeatureSchema),
      twin: z.enum(['read', 'derived']),
    })
    .optional(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** How the run ended, once the dataset step is done (key `<runId>.finished`). */
export const RunFinishedSchema = z.object({
  at: z.string(),
  counts: RunCountsSchema,
  train: z.number().int(),
  val: z.number().int(),
  /** Dataset files written, relative to the dataset dir. */
  files: z.array(z.string()),
  /** Why the dataset holds no chip (0 accepted), for the summary. */
  empty: z.string().optional(),
});
export type RunFinished = z.infer<typeof RunFinishedSchema>;

/** A run that cannot go on (its request or its completion was dead-lettered): key `<runId>.failed`. */
export const RunFailedSchema = z.object({ reason: z.string(), at: z.string() });
export type RunFailed = z.infer<typeof RunFailedSchema>;

export const TileStateSchema = z.enum(PROGRESS_STATES);

/** A chip of a tile with its box on the CDL grid (EPSG:5070 metres), as the chip job needs it. */
export const TileChipSchema = z.object({ chipId: ChipIdSchema, bbox5070: BBoxSchema });
export type TileChip = z.infer<typeof TileChipSchema>;

/** A tile of a run (key `<runId>.<tileId>`). */
export const TileRecordSchema = z.object({
  chipIds: z.array(z.string()),
  /** The chips with their boxes (from hls.tile.requested). */
  chips: z.array(TileChipSchema).optional(),
  /** The 3 selected granules in date order (once scenes are selected). */
  granuleIds: z.array(GranuleIdSchema).optional(),
  state: TileStateSchema,
  /** Why a rejected or failed tile ended so. */
  reason: z.string().optional(),
  detail: z.string().optional(),
  at: z.string(),
});
export type TileRecord = z.infer<typeof TileRecordSchema>;

/** A chip's terminal state (key `<runId>.<chipId>`): the first terminal event of a chip wins. */
export const ChipRecordSchema = z.object({
  state: z.enum(CHIP_TERMINAL_STATES),
  tileId: z.string().optional(),
  reason: z.string().optional(),
  at: z.string(),
  /** False from the record's creation until the run's running counts include it (absent: counted). */
  counted: z.boolean().optional(),
});
export type ChipRecord = z.infer<typeof ChipRecordSchema>;
