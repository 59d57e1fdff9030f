// EPSG definitions from the epsg-index package (the EPSG dataset as JSON, one file per code): a
// single code is one small file read; the whole index (8 MB) is loaded, once per process, only to
// identify a user-defined CRS that is not a UTM zone.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface EpsgEntry {
  code: number;
  kind: string;
  name: string;
  wkt: string;
  proj4: string;
}

const root = dirname(createRequire(import.meta.url).resolve('epsg-index/package.json'));
const byCode = new Map<number, EpsgEntry | null>();

interface RawEntry {
  code: string;
  kind: string;
  name: string;
  wkt: string | null;
  proj4: string | null;
}

function entryOf(raw: RawEntry): EpsgEntry | null {
  if (!raw.proj4 || !raw.wkt) return null;
  return { code: Number(raw.code), kind: raw.kind, name: raw.name, wkt: raw.wkt, proj4: raw.proj4.replace(/\s*\+type=crs\b/, '') };
}

/** Codes of 100000 and above in the package are ESRI's, not EPSG's. */
const isEpsgCode = (code: number): boolean => Number.isInteger(code) && code > 0 && code < 100000;

/** The EPSG entry of a projected or geographic CRS with a proj4 definition; null when there is none. */
export function epsgEntry(code: number): EpsgEntry | null {
  if (!isEpsgCode(code)) return null;
  let e = byCode.get(code);
  if (e === undefined) {
    try {
      const raw = JSON.parse(readFileSync(join(root, 's', `${code}.json`), 'utf8')) as RawEntry;
      e = raw.kind === 'CRS-PROJCRS' || raw.kind === 'CRS-GEOGCRS' ? entryOf(raw) : null;
    } catch {
      e = null;
    }
    byCode.set(code, e);
  }
  return e;
}

let all: EpsgEntry[] | null = null;

/** Every EPSG projected and geographic CRS with a proj4 definition, in code order. */
export function allEpsgEntries(): readonly EpsgEntry[] {
  if (!all) {
    const raw = JSON.parse(readFileSync(join(root, 'all.json'), 'utf8')) as Record<string, RawEntry>;
    all = [];
    for (const r of Object.values(raw)) {
      if (r.kind !== 'CRS-PROJCRS' && r.kind !== 'CRS-GEOGCRS') continue;
      const e = entryOf(r);
      if (e && isEpsgCode(e.code)) all.push(e);
    }
    all.sort((a, b) => a.code - b.code);
  }
  return all;
}

/** EPSG code of the geographic CRS a projected CRS's WKT is based on (its GEOGCS AUTHORITY), or null. */
export function baseGeographicCode(e: EpsgEntry): number | null {
  if (e.kind === 'CRS-GEOGCRS') return e.code;
  const at = e.wkt.indexOf(',PROJECTION[');
  const geog = at < 0 ? e.wkt : e.wkt.slice(0, at);
  const m = /AUTHORITY\["EPSG","(\d+)"\]\]$/.exec(geog);
  return m ? Number(m[1]) : null;
}
