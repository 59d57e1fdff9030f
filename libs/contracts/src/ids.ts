// Branded domain ids. Every id that becomes part of a file name, a NATS subject token or a KV key
// is validated here, once, so hostile ids (`../`, `/`, spaces) never reach the file system.
import { z } from 'zod';

/** Characters NATS KV keys and file names both accept; no leading dot, never `..`. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function safeName(what: string) {
  return z
    .string()
    .min(1, `${what} is empty`)
    .max(128, `${what} is longer than 128 characters`)
    .regex(SAFE_NAME, `${what} may only hold letters, digits, '_', '-' and '.', and must not start with '.'`)
    .refine((s) => !s.includes('..'), `${what} must not contain '..'`);
}

export const RunIdSchema = safeName('run id').brand<'RunId'>();
export type RunId = z.infer<typeof RunIdSchema>;

/** Chip ids in the real payloads are `chip_<row>_<col>`; any file-name-safe id is accepted. */
export const ChipIdSchema = safeName('chip id').brand<'ChipId'>();
export type ChipId = z.infer<typeof ChipIdSchema>;

/** Sentinel-2 / MGRS tile, e.g. `15TVG` (zone 01..60, latitude band C..X, 100 km square). */
export const TileIdSchema = z
  .string()
  .regex(/^(0[1-9]|[1-5][0-9]|60)[C-HJ-NP-X][A-HJ-NP-Z][A-HJ-NP-V]$/, 'tile id must look like 15TVG')
  .brand<'TileId'>();
export type TileId = z.infer<typeof TileIdSchema>;

/** HLS granule, e.g. `HLS.S30.T15TVG.2022152T170851.v2.0`. */
export const GRANULE_ID_PATTERN = /^HLS\.(S30|L30)\.T(\d{2}[A-Z]{3})\.(\d{4})(\d{3})T(\d{6})\.v(\d+\.\d+)$/;
export const GranuleIdSchema = z
  .string()
  .regex(GRANULE_ID_PATTERN, 'granule id must look like HLS.S30.T15TVG.2022152T170851.v2.0')
  .brand<'GranuleId'>();
export type GranuleId = z.infer<typeof GranuleIdSchema>;

export const RunId = (s: string): RunId => RunIdSchema.parse(s);
export const ChipId = (s: string): ChipId => ChipIdSchema.parse(s);
export const TileId = (s: string): TileId => TileIdSchema.parse(s);
export const GranuleId = (s: string): GranuleId => GranuleIdSchema.parse(s);

export interface GranuleParts {
  product: 'S30' | 'L30';
  tileId: TileId;
  /** Acquisition date, UTC, `YYYY-MM-DD`. */
  date: string;
  /** Day of year 1..366. */
  doy: number;
  version: string;
}

/** Split a granule id into its parts (tile, acquisition date); the id is validated first. */
export function parseGranuleId(id: string): GranuleParts {
  const m = GRANULE_ID_PATTERN.exec(GranuleIdSchema.parse(id));
  if (!m) throw new Error(`unreachable: granule id ${id} passed validation`);
  const [, product, tile, year, doy, , version] = m as unknown as [string, 'S30' | 'L30', string, string, string, string, string];
  const d = new Date(Date.UTC(Number(year), 0, Number(doy)));
  return { product, tileId: TileId(tile), date: d.toISOString().slice(0, 10), doy: Number(doy), version };
}
