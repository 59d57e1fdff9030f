// easierdata's filename -> CID mapping (`filename_to_cid_mapping.json`): a JSON array of
// {"filename": "<granule>.<band>.tif", "cid": "bafy..."}, 4-space indented like theirs. Written here
// (the provider); read with @hls/stac readCidMappingFile, which also takes the other mapping formats.
import { rename, writeFile } from 'node:fs/promises';
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
