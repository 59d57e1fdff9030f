// A partial copy of a remote GeoTIFF: the file at its full size with only some byte ranges written (the
// header and the blocks a tile's chips need; the rest are holes), and a `.blocks.json` sidecar naming
// which blocks of the first image it holds. Readers open it as the original; the chips mode checks
// the blocks it needs against the sidecar, so a hole is never read as data.
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { coalesceRanges, type Box } from './chip-windows.ts';
import type { ExtentMode } from './grid.ts';
import { openRangedRaster, type RangeReader } from './ranged.ts';
import { chipSourcePlan } from './reproject.ts';
import type { Resampling } from './warp.ts';

export const PARTIAL_COPY_SUFFIX = '.blocks.json';
export const partialCopySidecar = (path: string): string => `${path}${PARTIAL_COPY_SUFFIX}`;

export interface PartialCopyInfo {
  /** Size of the original file. */
  size: number;
  /** Row-major indices of the first image's blocks the copy holds. */
  blocks: number[];
  /** Byte ranges written, [offset, length]. */
  ranges: Array<[number, number]>;
  /** Where the bytes came from (a URL or CID): the copy is of that file only. */
  origin: string;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function parseSidecar(v: unknown): PartialCopyInfo | string {
  if (typeof v !== 'object' || v === null) return 'not an object';
  const o = v as Record<string, unknown>;
  if (!isCount(o.size)) return 'size is not a byte count';
  if (!Array.isArray(o.blocks) || !o.blocks.every(isCount)) return 'blocks is not a list of block indices';
  if (!Array.isArray(o.ranges) || !o.ranges.every((r) => Array.isArray(r) && r.length === 2 && isCount(r[0]) && isCount(r[1]))) return 'ranges is not a list of [offset, length]';
  if (typeof o.origin !== 'string') return 'origin is not a string';
  return { size: o.size, blocks: o.blocks as number[], ranges: o.ranges as Array<[number, number]>, origin: o.origin };
}

/**
 * Write `pieces` at their offsets into a file of `size` bytes (atomically: a temporary file renamed), then
 * the sidecar. A copy without its sidecar is never trusted (the sidecar is written last).
 */
export async function writePartialCopy(
  path: string,
  size: number,
  pieces: ReadonlyArray<{ offset: number; bytes: Uint8Array }>,
  blocks: readonly number[],
  origin: string,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await rm(partialCopySidecar(path), { force: true });
  const tmp = `${path}.partial-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    for (const p of pieces) {
      if (p.offset + p.bytes.length > size) throw new Error(`${path}: a piece at ${p.offset} (+${p.bytes.length}) runs past the file's ${size} bytes`);
      await fh.write(p.bytes, 0, p.bytes.length, p.offset);
    }
    await fh.truncate(size);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const info: PartialCopyInfo = { size, blocks: [...blocks], ranges: pieces.map((p) => [p.offset, p.bytes.length]), origin };
  await writeFile(partialCopySidecar(path), JSON.stringify(info));
}

/** Remove a partial copy at `path` (file and sidecar); a whole file (no sidecar) is left alone. */
export async function discardPartialCopy(path: string): Promise<boolean> {
  // Even an unreadable sidecar marks a partial copy.
  if (!(await stat(partialCopySidecar(path)).then(() => true, () => false))) return false;
  await rm(partialCopySidecar(path), { force: true });
  await rm(path, { force: true });
  return true;
}

/** The sidecar of a partial copy, or null when `path` is a whole file (no sidecar). */
export async function readPartialCopy(path: string): Promise<PartialCopyInfo | null> {
  let text: string;
  try {
    text = await readFile(partialCopySidecar(path), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = parseSidecar(json);
  if (typeof parsed === 'string') throw new Error(`${partialCopySidecar(path)}: not a partial-copy record: ${parsed}`);
  return parsed;
}

export interface ChipBlocksCopy {
  /** Source blocks copied, of how many in the image. */
  blocks: number;
  totalBlocks: number;
  /** Bytes of header and blocks the copy holds (the least a window read of these chips takes). */
  bytesNeeded: number;
  size: number;
}

/**
 * Copy of a band file what a tile's chips need, through a range reader: its header, then the source blocks
 * the chips mode will decode (chipSourcePlan, as the reprojector asks), neighbouring blocks merged into one
 * read when less than `gap` bytes apart. Written as a partial copy at `out`.
 */
export async function copyChipBlocks(
  name: string,
  reader: RangeReader,
  chips: readonly Box[],
  out: string,
  options: { extent?: ExtentMode; resampling?: Resampling; gap?: number; signal?: AbortSignal } = {},
): Promise<ChipBlocksCopy> {
  const r = await openRangedRaster(name, reader, { signal: options.signal });
  try {
    const plan = chipSourcePlan(r.info, chips, options);
    const ranges = coalesceRanges(plan.blocks.map((b) => r.blockRange(b)), options.gap ?? 0);
    const bytes = await reader.read(ranges, options.signal);
    const header = r.headerPieces();
    const pieces = [...header, ...ranges.map((g, i) => ({ offset: g.offset, bytes: bytes[i]! }))];
    await writePartialCopy(out, reader.size, pieces, plan.blocks, name);
    const totalBlocks = Math.ceil(r.info.width / r.info.blockWidth) * Math.ceil(r.info.height / r.info.blockHeight);
    const bytesNeeded = header.reduce((n, p) => n + p.bytes.length, 0) + plan.blocks.reduce((n, b) => n + r.blockRange(b).length, 0);
    return { blocks: plan.blocks.length, totalBlocks, bytesNeeded, size: reader.size };
  } finally {
    await r.close();
  }
}
