// Which EPSG CRS a proj4 definition is: the same projection and parameters, the same ellipsoid, on
// the same geographic CRS when that is known (GDAL's identification, reduced to what GeoKeys say).
// UTM zones and the CDL's Albers are tried first (one small file each); anything else scans the EPSG index once.
import type Proj4 from 'proj4';
import { requireCommonJs } from '@hls/common';
import { allEpsgEntries, baseGeographicCode, epsgEntry } from './epsg-db.ts';
import type { EpsgEntry } from './epsg-db.ts';
import { CDL_GRID } from '@hls/contracts/domain';

const proj4 = requireCommonJs<typeof Proj4>('proj4', import.meta.url);

/** A projection reduced to comparable numbers: UTM as its Transverse Mercator, angles in degrees, lengths in metres. */
interface Canonical {
  proj: string;
  params: Record<string, number>;
}

const UNIT_METRES: Record<string, number> = { m: 1, km: 1000, ft: 0.3048, 'us-ft': 1200 / 3937 };

function tokens(def: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of def.trim().split(/\s+/)) {
    const m = /^\+([^=]+)(?:=(.*))?$/.exec(t);
    if (m) out.set(m[1]!, m[2] ?? '');
  }
  return out;
}

function canonical(def: string): Canonical | null {
  const t = tokens(def);
  const n = (k: string, d = 0): number => (t.has(k) ? Number(t.get(k)) : d);
  const toMeter = t.has('to_meter') ? Number(t.get('to_meter')) : UNIT_METRES[t.get('units') ?? 'm'];
  if (toMeter === undefined || !Number.isFinite(toMeter)) return null;
  const proj = t.get('proj');
  const base = { x_0: n('x_0'), y_0: n('y_0'), to_meter: toMeter };
  const parallels = (): Record<string, number> => {
    const [p1, p2] = [n('lat_1'), n('lat_2', n('lat_1'))].sort((a, b) => a - b);
    return { p1: p1!, p2: p2! };
  };
  switch (proj) {
    case 'longlat':
    case 'latlong':
      return { proj: 'longlat', params: {} };
    case 'utm': {
      const zone = n('zone');
      const south = t.has('south');
      return { proj: 'tmerc', params: { lat_0: 0, lon_0: zone * 6 - 183, k: 0.9996, x_0: 500000, y_0: south ? 10000000 : 0, to_meter: toMeter } };
    }
    case 'tmerc':
    case 'etmerc':
      return { proj: 'tmerc', params: { lat_0: n('lat_0'), lon_0: n('lon_0'), k: n('k', n('k_0', 1)), ...base } };
    case 'aea':
      return { proj: 'aea', params: { lat_0: n('lat_0'), lon_0: n('lon_0'), ...parallels(), ...base } };
    case 'lcc':
      // One standard parallel (1SP, with a scale) or two (2SP); the order of two parallels does not matter.
      return t.has('lat_2')
        ? { proj: 'lcc', params: { lat_0: n('lat_0'), lon_0: n('lon_0'), ...parallels(), ...base } }
        : { proj: 'lcc1', params: { lat_0: n('lat_0', n('lat_1')), lon_0: n('lon_0'), k: n('k', n('k_0', 1)), ...base } };
    case 'merc':
      return { proj: 'merc', params: { lon_0: n('lon_0'), k: n('k', n('k_0', 1)), lat_ts: n('lat_ts'), ...base } };
    case 'laea':
      return { proj: 'laea', params: { lat_0: n('lat_0'), lon_0: n('lon_0'), ...base } };
    default:
      return null;
  }
}

function sameParams(a: Canonical, b: Canonical): boolean {
  if (a.proj !== b.proj) return false;
  for (const [k, v] of Object.entries(a.params)) {
    const w = b.params[k];
    if (w === undefined) return false;
    // Lengths to 0.1 mm; angles and scales to 1e-9 (the index rounds to 15 significant digits).
    const tol = k === 'x_0' || k === 'y_0' ? 1e-4 : 1e-9;
    if (Math.abs(v - w) > tol) return false;
  }
  return true;
}

function ellipsoidOf(def: string): { a: number; es: number } | null {
  try {
    const p = new proj4.Proj(def) as unknown as { a: number; es: number };
    return { a: p.a, es: p.es };
  } catch {
    return null;
  }
}

function sameEllipsoid(a: { a: number; es: number }, b: { a: number; es: number }): boolean {
  return Math.abs(a.a - b.a) < 1e-3 && Math.abs(a.es - b.es) < 1e-12;
}

export interface IdentifyTarget {
  /** proj4 definition of the CRS read from the keys. */
  proj4: string;
  /** Its EPSG geographic CRS when the keys give one (GeographicTypeGeoKey, or a known datum); null: only an ellipsoid. */
  geographic: number | null;
  projected: boolean;
}

const canonCache = new Map<number, Canonical | null>();

function canonOf(e: EpsgEntry): Canonical | null {
  let c = canonCache.get(e.code);
  if (c === undefined) {
    c = canonical(e.proj4);
    canonCache.set(e.code, c);
  }
  return c;
}

function matches(e: EpsgEntry, want: Canonical, ellipsoid: { a: number; es: number }, t: IdentifyTarget): boolean {
  if ((e.kind === 'CRS-PROJCRS') !== t.projected) return false;
  const c = canonOf(e);
  if (!c || !sameParams(want, c)) return false;
  if (t.geographic !== null && baseGeographicCode(e) !== t.geographic) return false;
  const ell = ellipsoidOf(e.proj4);
  return ell !== null && sameEllipsoid(ell, ellipsoid);
}

/** EPSG code of the projected (or geographic) CRS whose definition equals `t`, or null. */
export function identifyEpsg(t: IdentifyTarget): number | null {
  const want = canonical(t.proj4);
  const ellipsoid = ellipsoidOf(t.proj4);
  if (!want || !ellipsoid) return null;
  const f = 1 / 298.257223563;
  const wgs84 = sameEllipsoid(ellipsoid, { a: 6378137, es: 2 * f - f * f });
  // Likely codes first: WGS 84 (or its ellipsoid with an unnamed datum), the UTM zones of NAD83 / NAD27.
  const likely: number[] = [];
  const gcs = t.geographic ?? (wgs84 ? 4326 : null);
  if (!t.projected && gcs !== null) likely.push(gcs);
  if (t.projected && want.proj === 'tmerc' && want.params.k === 0.9996 && want.params.x_0 === 500000 && want.params.lat_0 === 0) {
    const zone = (want.params.lon_0! + 183) / 6;
    const south = want.params.y_0 === 10000000;
    if (Number.isInteger(zone) && zone >= 1 && zone <= 60) {
      if (gcs === 4326) likely.push((south ? 32700 : 32600) + zone);
      if (gcs === 4269 && !south) likely.push(26900 + zone);
      if (gcs === 4267 && !south) likely.push(26700 + zone);
    }
  }
  // The CDL's own CRS (NAD83 / Conus Albers), which CDL files carry as a user-defined "USA_Contiguous_Albers_
  // Equal_Area_Conic_USGS_version": every CDL read would otherwise load the whole EPSG index to name it.
  if (t.projected && want.proj === 'aea' && (gcs === 4269 || gcs === null)) likely.push(CDL_GRID.epsg);
  for (const code of likely) {
    const e = epsgEntry(code);
    if (e && matches(e, want, ellipsoid, t)) return code;
  }
  const found = allEpsgEntries().filter((e) => matches(e, want, ellipsoid, t));
  if (found.length === 0) return null;
  // An unnamed datum on the WGS 84 ellipsoid is WGS 84 (as GDAL identifies HLS files); else the lowest code.
  const preferred = gcs !== null ? found.find((e) => baseGeographicCode(e) === gcs) : undefined;
  return (preferred ?? found[0]!).code;
}
