// easierdata's filename -> CID mapping (`filename_to_cid_mapping.json`): a JSON array of
// {"filename": "<granule>.<band>.tif", "cid": "bafy..."}, 4-space indented like theirs.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ImportedFile } from './importer.ts';

export interface CidMappingEntry {
  filename: string;
  cid: string;
}

export function mappingEntries(files: readonly ImportedFile[]): CidMappingEntry[] {
  return files.map((f) => ({ filename: basename(f.path), cid: f.cid.toString() }));
}

export async function writeCidMapping(path: string, entries: readonly CidMappingEntry[]): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(entries, null, 4)}\n`);
  await rename(tmp, path);
}

/** Read a mapping file; throws naming the file and the entry at fault. */
export async function readCidMapping(path: string): Promise<CidMappingEntry[]> {
  const data: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (!Array.isArray(data)) throw new Error(`${path}: expected a JSON array of {filename, cid}`);
  return data.map((e: unknown, i) => {
    const r = e as Partial<CidMappingEntry> | null;
    if (!r || typeof r.filename !== 'string' || typeof r.cid !== 'string') throw new Error(`${path}: entry ${i} lacks a string filename and cid`);
    return { filename: r.filename, cid: r.cid };
  });
}
