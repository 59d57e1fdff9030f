// A compact JSON form of the parsed grid for repeat runs (the 108 MB KML parses in seconds; this in
// a fraction of that). The cache records the KML's size and mtime and is ignored when they change.
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { KmlError, readS2GridKml, type S2Tile } from './s2-grid-kml.ts';
import { readS2GridParquet } from './s2-grid-parquet.ts';

const FORMAT = 'hls-s2-grid/1';

interface CacheDoc {
  format: typeof FORMAT;
  source: { size: number; mtimeMs: number } | null;
  /** [name, epsg, footprintUtm, center, parts as flat lon,lat arrays] */
  tiles: [string, number, [number, number, number, number], [number, number], number[][]][];
}

export function gridToCache(tiles: readonly S2Tile[], source: CacheDoc['source']): string {
  const doc: CacheDoc = {
    format: FORMAT,
    source,
    tiles: tiles.map((t) => [t.name, t.epsg, [...t.footprintUtm], t.center, t.parts.map((r) => r.flat())]),
  };
  return JSON.stringify(doc);
}

export function gridFromCache(text: string, file: string): { tiles: S2Tile[]; source: CacheDoc['source'] } {
  let doc: CacheDoc;
  try {
    doc = JSON.parse(text) as CacheDoc;
  } catch (e) {
    throw new KmlError(`${file}: grid cache is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  if (doc?.format !== FORMAT || !Array.isArray(doc.tiles)) throw new KmlError(`${file}: not a ${FORMAT} grid cache`);
  const tiles = doc.tiles.map(([name, epsg, fp, center, parts]) => ({
    name,
    epsg,
    footprintUtm: fp,
    center,
    parts: parts.map((flat) => {
      const ring: [number, number][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) ring.push([flat[i] as number, flat[i + 1] as number]);
      return ring;
    }),
  }));
  return { tiles, source: doc.source };
}

/** Default cache location: the system temp dir, keyed by the KML's absolute path (input folders stay untouched). */
export function defaultCachePath(kml: string): string {
  const abs = resolve(kml);
  const key = createHash('sha256').update(abs).digest('hex').slice(0, 16);
  return join(tmpdir(), 'hls-s2-grid-cache', `${key}.grid.json`);
}

export interface LoadGridOptions {
  /** Where to keep the compact form; default: defaultCachePath(kml) in the temp dir; false: no cache. */
  cacheFile?: string | false;
}

/**
 * Load the Sentinel-2 grid: a compact cache file (`*.grid.json`) or a GeoParquet directly, or a KML through its cache
 * (reused while the KML's size and mtime match, otherwise re-parsed and rewritten).
 */
export async function loadS2Grid(file: string, opts: LoadGridOptions = {}): Promise<S2Tile[]> {
  if (file.endsWith('.json')) return gridFromCache(await readFile(file, 'utf8'), file).tiles;
  if (file.endsWith('.parquet')) return readS2GridParquet(file);
  const st = statSync(file);
  const source = { size: st.size, mtimeMs: st.mtimeMs };
  const cache = opts.cacheFile === false ? null : (opts.cacheFile ?? defaultCachePath(file));
  if (cache && existsSync(cache)) {
    try {
      const c = gridFromCache(await readFile(cache, 'utf8'), cache);
      if (c.source && c.source.size === source.size && c.source.mtimeMs === source.mtimeMs) return c.tiles;
    } catch {
      // A broken cache is rebuilt from the KML below.
    }
  }
  const tiles = await readS2GridKml(file);
  if (cache) {
    try {
      await mkdir(dirname(cache), { recursive: true });
      const tmp = `${cache}.${process.pid}.tmp`;
      await writeFile(tmp, gridToCache(tiles, source));
      await rename(tmp, cache);
    } catch {
      // Read-only location: the cache is an optimisation only.
    }
  }
  return tiles;
}
