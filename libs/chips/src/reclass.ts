// CDL -> 14-class reclass with the original's table (cdl_total_dst.csv: old_class_value -> new_class_value).
// CDL values the table lacks (0 = no data among them; the original crashed on it) become class 0 and are counted.
import { readFile } from 'node:fs/promises';
import { CLASS_COUNT } from '@hls/contracts';
import { parseCsv } from '@hls/common';

/** Lookup by CDL code 0..255: the new class, or -1 when the table lacks the code. */
export type ReclassTable = Int16Array;

export function parseReclassTable(text: string, source = 'reclass table'): ReclassTable {
  const rows = parseCsv(text);
  const header = rows[0];
  if (!header) throw new Error(`${source}: empty file`);
  const oldCol = header.indexOf('old_class_value');
  const newCol = header.indexOf('new_class_value');
  if (oldCol < 0 || newCol < 0) throw new Error(`${source}: needs columns old_class_value and new_class_value, has ${header.join(', ')}`);
  const table = new Int16Array(256).fill(-1);
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.length === 1 && row[0] === '') continue;
    const oldV = Number(row[oldCol]);
    const newV = Number(row[newCol]);
    if (!Number.isInteger(oldV) || oldV < 0 || oldV > 255) throw new Error(`${source} line ${r + 1}: old_class_value '${row[oldCol]}' is not a CDL code 0..255`);
    if (!Number.isInteger(newV) || newV < 0 || newV >= CLASS_COUNT) {
      throw new Error(`${source} line ${r + 1}: new_class_value '${row[newCol]}' is not a class 0..${CLASS_COUNT - 1}`);
    }
    table[oldV] = newV;
  }
  return table;
}

export async function loadReclassTable(path: string): Promise<ReclassTable> {
  return parseReclassTable(await readFile(path, 'utf8'), path);
}

export interface ReclassResult {
  mask: Uint8Array;
  /** Pixels whose CDL value the table lacks (set to 0). */
  unmapped: number;
}

export function reclassCdl(cdl: ArrayLike<number>, table: ReclassTable): ReclassResult {
  const mask = new Uint8Array(cdl.length);
  let unmapped = 0;
  for (let i = 0; i < cdl.length; i++) {
    const v = cdl[i]!;
    const c = v >= 0 && v <= 255 && Number.isInteger(v) ? table[v]! : -1;
    if (c < 0) unmapped++;
    else mask[i] = c;
  }
  return { mask, unmapped };
}
