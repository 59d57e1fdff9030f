// The chip-index step end to end: payload + grid -> tile per chip, rejected chips with reasons, chips
// grouped by tile, and the dataset files (chips_id.json, chips_df.csv, tile_choice_report.csv).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DATASET_FILES, type BBox, type ChipId, type Polygon } from '@hls/contracts';
import { readChipPayload, type ChipIssue, type ChipPayload, type ChipPayloadOptions, type ChipRecord } from './chip-payload.ts';
import { EPSG_WGS84, transformer } from './crs.ts';
import { pythonFloat, pythonJson } from './pyjson.ts';
import { loadS2Grid, type LoadGridOptions } from './s2-grid-cache.ts';
import type { S2Tile } from './s2-grid-kml.ts';
import { assignTiles, buildTileIndex, type TileChoice } from './tile-assign.ts';

export interface AssignedChip {
  chip: ChipRecord;
  tile: S2Tile;
  distance: number;
  naiveTile: S2Tile | null;
  naiveDistance: number;
}

export interface TileGroup {
  tile: S2Tile;
  chipIds: ChipId[];
}

export interface ChipIndexResult {
  payload: ChipPayload;
  assigned: AssignedChip[];
  /** Every chip that will not be processed, with its reason (payload problems and "no-tile"). */
  rejected: ChipIssue[];
  /** Tiles with their chips, in first-chip order. */
  tiles: TileGroup[];
}

/** Join chips with their tile choices. */
export function applyChoices(payload: ChipPayload, grid: readonly S2Tile[], choices: readonly TileChoice[]): ChipIndexResult {
  const assigned: AssignedChip[] = [];
  const rejected: ChipIssue[] = [...payload.rejected];
  const groups = new Map<string, TileGroup>();
  payload.chips.forEach((chip, i) => {
    const ch = choices[i] as TileChoice;
    if (ch.tile < 0) {
      rejected.push({
        file: payload.file,
        index: -1,
        id: chip.id,
        chipId: chip.id,
        reason: 'no-tile',
        detail: `chip ${chip.id}: no Sentinel-2 tile footprint contains the whole chip [${chip.bbox5070.join(', ')}] (EPSG:5070)`,
      });
      return;
    }
    const tile = grid[ch.tile] as S2Tile;
    assigned.push({ chip, tile, distance: ch.distance, naiveTile: ch.naiveTile >= 0 ? (grid[ch.naiveTile] as S2Tile) : null, naiveDistance: ch.naiveDistance });
    let g = groups.get(tile.name);
    if (!g) groups.set(tile.name, (g = { tile, chipIds: [] }));
    g.chipIds.push(chip.id);
  });
  return { payload, assigned, rejected, tiles: [...groups.values()] };
}

export interface IndexChipsOptions extends ChipPayloadOptions, LoadGridOptions {}

/** Read the payload (and twin) and the grid, and assign every chip its tile. */
export async function indexChips(payloadFile: string, gridFile: string, opts: IndexChipsOptions = {}): Promise<ChipIndexResult> {
  return indexPayload(await readChipPayload(payloadFile, opts), await loadS2Grid(gridFile, opts));
}

/** Assign every chip of a payload already read its tile of a grid already loaded. */
export function indexPayload(payload: ChipPayload, grid: readonly S2Tile[]): ChipIndexResult {
  return applyChoices(payload, grid, assignTiles(buildTileIndex(grid), payload.chips));
}

function csvCell(v: string | number): string {
  if (typeof v === 'number') return Number.isNaN(v) ? '' : pythonFloat(v);
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
const csv = (rows: (string | number)[][]): string => rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';

/** chips_df.csv: chip_id, chip_x, chip_y (the lon/lat centre, as the original), tile. */
export function chipsTableCsv(assigned: readonly AssignedChip[]): string {
  return csv([['chip_id', 'chip_x', 'chip_y', 'tile'], ...assigned.map((a) => [a.chip.id, a.chip.center[0], a.chip.center[1], a.tile.name])]);
}

/** Chips whose tile the naive nearest-centroid rule would have chosen differently. */
export function tileChoiceReportCsv(assigned: readonly AssignedChip[]): string {
  const rows: (string | number)[][] = [['chip_id', 'tile', 'distance_m', 'naive_tile', 'naive_distance_m']];
  for (const a of assigned) {
    if (a.naiveTile && a.naiveTile.name === a.tile.name) continue;
    rows.push([a.chip.id, a.tile.name, a.distance, a.naiveTile?.name ?? '', a.naiveDistance]);
  }
  return csv(rows);
}

/** Write chips_id.json, chips_df.csv and tile_choice_report.csv into `dir`; returns the paths. */
export async function writeChipIndexFiles(dir: string, r: ChipIndexResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: [string, string][] = [
    [DATASET_FILES.chipsId, pythonJson(r.assigned.map((a) => a.chip.id), { indent: 2 })],
    [DATASET_FILES.chipsTable, chipsTableCsv(r.assigned)],
    [DATASET_FILES.tileChoiceReport, tileChoiceReportCsv(r.assigned)],
  ];
  const out: string[] = [];
  for (const [name, text] of files) {
    const p = join(dir, name);
    await writeFile(p, text);
    out.push(p);
  }
  return out;
}

/**
 * The tile's UTM footprint as a lon/lat polygon (corners and edge points transformed), for a STAC
 * intersects search. Longitudes are kept continuous, so a tile across the antimeridian goes past +-180.
 */
export function tileSearchGeometry(tile: S2Tile, perEdge = 4): Polygon {
  const [minX, minY, maxX, maxY] = tile.footprintUtm as BBox;
  const t = transformer(tile.epsg, EPSG_WGS84);
  const pts: [number, number][] = [];
  const corners: [number, number][] = [
    [minX, maxY],
    [minX, minY],
    [maxX, minY],
    [maxX, maxY],
  ];
  for (let i = 0; i < 4; i++) {
    const a = corners[i] as [number, number];
    const b = corners[(i + 1) % 4] as [number, number];
    for (let k = 0; k < perEdge; k++) pts.push(t([a[0] + ((b[0] - a[0]) * k) / perEdge, a[1] + ((b[1] - a[1]) * k) / perEdge]));
  }
  for (let i = 1; i < pts.length; i++) {
    const p = pts[i] as [number, number];
    const prev = pts[i - 1] as [number, number];
    while (p[0] - prev[0] > 180) p[0] -= 360;
    while (p[0] - prev[0] < -180) p[0] += 360;
  }
  const ring = [...pts, [...(pts[0] as [number, number])] as [number, number]];
  // GeoJSON: counter-clockwise outer ring (corners above run UL, LL, LR, UR: already counter-clockwise).
  return { type: 'Polygon', coordinates: [ring] };
}
