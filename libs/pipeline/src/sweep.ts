// A process killed while writing leaves its atomic-write temp file behind: `<file>.tmp-<pid>[-<hex>]`
// (raster writer, ipfs mapping) or `<file>.<pid>[.<token>].tmp` (chips, analytics, stac outputs).
// Before a run (re)starts, those of processes that no longer exist are removed, so the outputs of a
// resumed run are exactly those of an uninterrupted one. Download `.part` files are kept: they resume.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { processExists } from '@hls/local-stack';

const TEMP = [/\.tmp-(\d+)(?:-[0-9a-f]+)?$/, /\.(\d+)(?:\.[0-9a-z]+)?\.tmp$/];


/** Remove stale temp files under `dir` (recursively); returns the paths removed. */
export async function sweepStaleTemps(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const m = TEMP.map((re) => re.exec(e.name)).find((x) => x !== null);
    if (!m || processExists(Number(m[1]))) continue;
    const p = join(e.parentPath, e.name);
    await rm(p, { force: true });
    removed.push(p);
  }
  return removed;
}
