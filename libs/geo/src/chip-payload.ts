// Chip payloads: the EPSG:4326 GeoJSON FeatureCollection (properties.id, properties.center, a box as
// Polygon/MultiPolygon) and its EPSG:5070 twin `<name>_5070.geojson`. The twin is read when present,
// otherwise derived. Bad chips are rejected with a reason naming the file and chip; the rest go on.
import { existsSync } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HlsError } from '@hls/common';
import { AreaGeometrySchema, CHIP, ChipIdSchema, type AreaGeometry, type BBox, type ChipId } from '@hls/contracts';
import { boxCenter, boxPixels, gridOffset, snapBox } from './cdl-grid.ts';
import { EPSG_CDL, EPSG_WGS84, transformer } from './crs.ts';
import { pythonJson, type JsonValue } from './pyjson.ts';
import { boundsOf } from './bounds.ts';

/** A chip payload file that is not a GeoJSON FeatureCollection: the run's input must be fixed. */
export class ChipPayloadError extends HlsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('chip-payload', message, { retryable: false, cause: options?.cause });
  }
}

export interface ChipRecord {
  id: ChipId;
  /** [lon, lat] centre, as the payload gives it. */
  center: [number, number];
  /** The chip box on the CDL grid, EPSG:5070 metres. */
  bbox5070: BBox;
  /** Centre of bbox5070. */
  center5070: [number, number];
  /** The payload's EPSG:4326 geometry. */
  geometry: AreaGeometry;
}

export type ChipRejectReason =
  | 'missing-id'
  | 'unsafe-id'
  | 'duplicate-id'
  | 'bad-center'
  | 'bad-geometry'
  | 'non-square'
  | 'bad-size'
  | 'off-grid'
  | 'twin-missing'
  | 'twin-mismatch'
  | 'no-tile';

export interface ChipIssue {
  file: string;
  /** Index of the feature in the file. */
  index: number;
  /** The id as written (may be unsafe), null when missing. */
  id: string | null;
  /** The id when it is a valid ChipId, so a rejection event can be published for it. */
  chipId: ChipId | null;
  reason: ChipRejectReason;
  detail: string;
}

export interface ChipPayload {
  file: string;
  twinFile: string;
  /** Whether the 5070 boxes came from the twin file or were derived from the 4326 payload. */
  twin: 'read' | 'derived';
  chips: ChipRecord[];
  rejected: ChipIssue[];
  /** Twin features whose id is not in the 4326 payload (reported, not chips). */
  twinExtra: ChipIssue[];
}

export interface ChipPayloadOptions {
  /** Path of the EPSG:5070 twin; default `<name>_5070.geojson` next to the payload. */
  twinFile?: string;
  /** Ignore an existing twin and derive the boxes from the 4326 payload. */
  derive?: boolean;
  /** Metres a derived box edge may lie off the grid before the chip is rejected as off-grid (default 0.5). */
  tolerance?: number;
}

/** `<dir>/<name>.geojson` -> `<dir>/<name>_5070.geojson`. */
export function twinPathOf(file: string): string {
  return file.replace(/(\.geo)?json$/i, '').replace(/_5070$/, '') + '_5070.geojson';
}

interface RawFeature {
  index: number;
  id: string | null;
  chipId: ChipId | null;
  props: Record<string, unknown>;
  geometry: unknown;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse a FeatureCollection's text; throws naming the file when it is not one. */
export function parseFeatureCollection(text: string, file: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ChipPayloadError(`${file}: not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!isRecord(doc) || doc.type !== 'FeatureCollection' || !Array.isArray(doc.features)) {
    throw new ChipPayloadError(`${file}: not a GeoJSON FeatureCollection (type and features[] expected)`);
  }
  return doc.features as unknown[];
}

/** Split features into id-checked raw features and issues (missing, unsafe, duplicate ids). */
function checkIds(features: unknown[], file: string): { ok: RawFeature[]; issues: ChipIssue[] } {
  const raw: RawFeature[] = [];
  const issues: ChipIssue[] = [];
  const seen = new Map<string, number[]>();
  features.forEach((f, index) => {
    const props = isRecord(f) && isRecord(f.properties) ? f.properties : {};
    const idv = props.id;
    if (typeof idv !== 'string' || idv.length === 0) {
      issues.push({ file, index, id: null, chipId: null, reason: 'missing-id', detail: `${file}: feature ${index} has no string properties.id` });
      return;
    }
    const parsed = ChipIdSchema.safeParse(idv);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => i.message).join('; ');
      issues.push({ file, index, id: idv, chipId: null, reason: 'unsafe-id', detail: `${file}: feature ${index} id ${JSON.stringify(idv)}: ${why}` });
      return;
    }
    const at = seen.get(idv);
    if (at) at.push(index);
    else seen.set(idv, [index]);
    raw.push({ index, id: idv, chipId: parsed.data, props, geometry: isRecord(f) ? f.geometry : undefined });
  });
  // A duplicated id is ambiguous: every feature carrying it is rejected, the first under the id, each
  // repeat as a feature without a usable id (so every feature is counted once).
  const dup = new Set([...seen].filter(([, at]) => at.length > 1).map(([id]) => id));
  for (const id of dup) {
    const at = seen.get(id) ?? [];
    const detail = `${file}: chip ${id} appears ${at.length} times (features ${at.join(', ')})`;
    issues.push({ file, index: at[0] ?? -1, id, chipId: ChipIdSchema.parse(id), reason: 'duplicate-id', detail });
    for (const index of at.slice(1)) issues.push({ file, index, id, chipId: null, reason: 'duplicate-id', detail: `${detail}: feature ${index} repeats it` });
  }
  return { ok: raw.filter((r) => !dup.has(r.id ?? '')), issues };
}

function pointOf(v: unknown): [number, number] | null {
  if (!Array.isArray(v) || v.length < 2) return null;
  const [x, y] = v as unknown[];
  return typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y) ? [x, y] : null;
}

/** Every vertex of every outer ring. */
function outerVertices(g: AreaGeometry): [number, number][] {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
  const pts: [number, number][] = [];
  for (const poly of polys) for (const p of poly[0] ?? []) pts.push([p[0], p[1]]);
  return pts;
}

type BoxCheck = { ok: true; bbox: BBox } | { ok: false; reason: ChipRejectReason; detail: string };

/**
 * Check that points (EPSG:5070) describe a CDL-grid chip box: every vertex at a corner of their bounding box,
 * the box within `tol` metres of grid lines (then snapped), 224 x 224 px.
 */
export function chipBoxFromPoints(pts: readonly (readonly [number, number])[], tol: number): BoxCheck {
  if (pts.length < 4) return { ok: false, reason: 'bad-geometry', detail: `box has ${pts.length} vertices` };
  const [minX, minY, maxX, maxY] = boundsOf(pts);
  const raw: BBox = [minX, minY, maxX, maxY];
  for (const [x, y] of pts) {
    const onX = Math.abs(x - minX) <= tol || Math.abs(x - maxX) <= tol;
    const onY = Math.abs(y - minY) <= tol || Math.abs(y - maxY) <= tol;
    if (!onX || !onY) return { ok: false, reason: 'non-square', detail: `vertex (${x}, ${y}) is not a corner of an axis-aligned box in EPSG:5070` };
  }
  const off = gridOffset(raw);
  if (off > tol) return { ok: false, reason: 'off-grid', detail: `box [${raw.join(', ')}] lies ${off.toFixed(3)} m off the CDL grid (tolerance ${tol} m)` };
  const bbox = snapBox(raw);
  const px = boxPixels(bbox);
  if (!px) return { ok: false, reason: 'off-grid', detail: `box [${bbox.join(', ')}] is not a whole number of pixels` };
  if (px.width !== px.height) return { ok: false, reason: 'non-square', detail: `box is ${px.width} x ${px.height} px, not square` };
  if (px.width !== CHIP.pixels) return { ok: false, reason: 'bad-size', detail: `box is ${px.width} x ${px.height} px, not ${CHIP.pixels} x ${CHIP.pixels}` };
  return { ok: true, bbox };
}

/** Derive the EPSG:5070 box of a 4326 chip: all box vertices and the centre transformed, then snapped to the grid. */
export function deriveChipBox5070(geometry: AreaGeometry, center: [number, number], tol = 0.5): BoxCheck {
  const t = transformer(EPSG_WGS84, EPSG_CDL);
  let pts: [number, number][];
  let c: [number, number];
  try {
    pts = outerVertices(geometry).map((p) => t(p));
    c = t(center);
  } catch (e) {
    return { ok: false, reason: 'bad-geometry', detail: (e as Error).message };
  }
  const r = chipBoxFromPoints(pts, tol);
  if (!r.ok) return r;
  // The original built the lon/lat payload from the 5070 box: its centre must come back to the box centre.
  const bc = boxCenter(r.bbox);
  const d = Math.hypot(c[0] - bc[0], c[1] - bc[1]);
  if (d > tol) return { ok: false, reason: 'bad-center', detail: `center transforms to (${c[0]}, ${c[1]}), ${d.toFixed(3)} m from the box centre` };
  return r;
}

function issue(f: RawFeature, file: string, reason: ChipRejectReason, detail: string): ChipIssue {
  return { file, index: f.index, id: f.id, chipId: f.chipId, reason, detail: `${file}: chip ${f.id}: ${detail}` };
}

/** Chips of a parsed 4326 payload with their derived 5070 boxes (no twin involved). */
export function chipsFrom4326(features: unknown[], file: string, tol = 0.5): { chips: ChipRecord[]; rejected: ChipIssue[] } {
  const { ok, issues } = checkIds(features, file);
  const chips: ChipRecord[] = [];
  for (const f of ok) {
    const center = pointOf(f.props.center);
    if (!center) {
      issues.push(issue(f, file, 'bad-center', 'properties.center is not [lon, lat]'));
      continue;
    }
    const g = AreaGeometrySchema.safeParse(f.geometry);
    if (!g.success) {
      issues.push(issue(f, file, 'bad-geometry', `geometry is not a Polygon or MultiPolygon (${g.error.issues[0]?.message ?? 'invalid'})`));
      continue;
    }
    const box = deriveChipBox5070(g.data, center, tol);
    if (!box.ok) {
      issues.push(issue(f, file, box.reason, box.detail));
      continue;
    }
    chips.push({ id: f.chipId as ChipId, center, bbox5070: box.bbox, center5070: boxCenter(box.bbox), geometry: g.data });
  }
  return { chips, rejected: issues.sort((a, b) => a.index - b.index) };
}

/** Boxes of a parsed 5070 twin, by id; they must already lie exactly on the grid. */
export function boxesFrom5070(features: unknown[], file: string): { boxes: Map<string, { index: number; bbox: BBox }>; rejected: ChipIssue[] } {
  const { ok, issues } = checkIds(features, file);
  const boxes = new Map<string, { index: number; bbox: BBox }>();
  for (const f of ok) {
    const g = AreaGeometrySchema.safeParse(f.geometry);
    if (!g.success) {
      issues.push(issue(f, file, 'bad-geometry', 'geometry is not a Polygon or MultiPolygon'));
      continue;
    }
    const box = chipBoxFromPoints(outerVertices(g.data), 1e-6);
    if (!box.ok) {
      issues.push(issue(f, file, box.reason, box.detail));
      continue;
    }
    const c = pointOf(f.props.center);
    const bc = boxCenter(box.bbox);
    if (c && (Math.abs(c[0] - bc[0]) > 1e-6 || Math.abs(c[1] - bc[1]) > 1e-6)) {
      issues.push(issue(f, file, 'bad-center', `center (${c[0]}, ${c[1]}) is not the box centre (${bc[0]}, ${bc[1]})`));
      continue;
    }
    boxes.set(f.id as string, { index: f.index, bbox: box.bbox });
  }
  return { boxes, rejected: issues };
}

/** A payload document's text and the name its messages use (a path, or an object name). */
export interface PayloadText {
  file: string;
  text: string;
}

/**
 * Read a chip payload and its EPSG:5070 twin (derived when absent). When the twin exists, each chip's derived
 * box must equal the twin's; chips that disagree or are missing from the twin are rejected with the reason.
 */
export async function readChipPayload(file: string, opts: ChipPayloadOptions = {}): Promise<ChipPayload> {
  const twinFile = opts.twinFile ?? twinPathOf(file);
  const twin = opts.derive || !existsSync(twinFile) ? null : { file: twinFile, text: await readFile(twinFile, 'utf8') };
  return parseChipPayload({ file, text: await readFile(file, 'utf8') }, twin, { ...opts, twinFile });
}

/** readChipPayload on texts already read (a run's inputs from the object store); `twin` null: derive the boxes. */
export function parseChipPayload(payload: PayloadText, twin: PayloadText | null, opts: Pick<ChipPayloadOptions, 'tolerance' | 'twinFile'> = {}): ChipPayload {
  const tol = opts.tolerance ?? 0.5;
  const file = payload.file;
  const twinFile = twin?.file ?? opts.twinFile ?? twinPathOf(file);
  const features = parseFeatureCollection(payload.text, file);
  const base = chipsFrom4326(features, file, tol);
  if (!twin) {
    return { file, twinFile, twin: 'derived', chips: base.chips, rejected: base.rejected, twinExtra: [] };
  }
  const twinBoxes = boxesFrom5070(parseFeatureCollection(twin.text, twinFile), twinFile);
  const rejected = [...base.rejected];
  const badInTwin = new Map(twinBoxes.rejected.filter((i) => i.id !== null).map((i) => [i.id as string, i]));
  const chips: ChipRecord[] = [];
  const used = new Set<string>();
  for (const c of base.chips) {
    used.add(c.id);
    const t = twinBoxes.boxes.get(c.id);
    const mk = (reason: ChipRejectReason, detail: string): ChipIssue => ({ file, index: -1, id: c.id, chipId: c.id, reason, detail });
    if (!t) {
      const why = badInTwin.get(c.id);
      rejected.push(why ? { ...why, file } : mk('twin-missing', `${twinFile}: chip ${c.id} is not in the EPSG:5070 twin`));
      continue;
    }
    if (t.bbox.some((v, i) => v !== c.bbox5070[i])) {
      rejected.push(mk('twin-mismatch', `chip ${c.id}: ${file} gives box [${c.bbox5070.join(', ')}], ${twinFile} gives [${t.bbox.join(', ')}]`));
      continue;
    }
    chips.push({ ...c, bbox5070: t.bbox, center5070: boxCenter(t.bbox) });
  }
  const twinExtra = [...twinBoxes.boxes].filter(([id]) => !used.has(id)).map(([id, t]) => ({
    file: twinFile,
    index: t.index,
    id,
    chipId: ChipIdSchema.parse(id),
    reason: 'twin-missing' as const,
    detail: `${twinFile}: chip ${id} is not in ${file}`,
  }));
  return { file, twinFile, twin: 'read', chips, rejected, twinExtra };
}

/** The box as the original wrote it: one ring UL, LL, LR, UR, UL in a MultiPolygon. */
export function boxRing(b: BBox): [number, number][] {
  return [
    [b[0], b[3]],
    [b[0], b[1]],
    [b[2], b[1]],
    [b[2], b[3]],
    [b[0], b[3]],
  ];
}

/** The EPSG:5070 twin FeatureCollection, in the original's layout and key order. */
export function twinCollection(chips: readonly Pick<ChipRecord, 'id' | 'bbox5070'>[]): JsonValue {
  return {
    type: 'FeatureCollection',
    features: chips.map((c) => ({
      type: 'Feature',
      properties: { id: c.id, center: boxCenter(c.bbox5070) },
      geometry: { type: 'MultiPolygon', coordinates: [[boxRing(c.bbox5070)]] },
    })),
  };
}

/** Write JSON text in Python's json.dump(indent=4) layout, creating the directory. */
export async function writePythonJson(file: string, value: JsonValue): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, pythonJson(value));
}

/** Write the EPSG:5070 twin of a payload (the original's create_chip_5070_payload). */
export async function writeTwin(file: string, chips: readonly Pick<ChipRecord, 'id' | 'bbox5070'>[]): Promise<void> {
  await writePythonJson(file, twinCollection(chips));
}
