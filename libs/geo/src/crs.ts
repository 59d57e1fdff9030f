// CRS registry: the proj4 definitions the pipeline needs (WGS84 lon/lat, CDL Albers, every UTM zone)
// and cached transformers between them. Definitions are the PROJ strings EPSG publishes for these codes.
import type Proj4 from 'proj4';
import { requireCommonJs } from '@hls/common';
import { CDL_GRID } from '@hls/contracts';

const proj4 = requireCommonJs<typeof Proj4>('proj4', import.meta.url);

export const EPSG_WGS84 = 4326;
export const EPSG_CDL = CDL_GRID.epsg;

const WGS84 = '+proj=longlat +datum=WGS84 +no_defs';
// NAD83 / Conus Albers. proj4's NAD83 datum has a null shift to WGS84, the transformation PROJ uses by default.
const CONUS_ALBERS = '+proj=aea +lat_0=23 +lon_0=-96 +lat_1=29.5 +lat_2=45.5 +x_0=0 +y_0=0 +datum=NAD83 +units=m +no_defs';

export interface UtmZone {
  zone: number;
  north: boolean;
}

/** EPSG code of WGS84 / UTM zone `zone` (1..60), north (326zz) or south (327zz). */
export function utmEpsg(zone: number, north: boolean): number {
  if (!Number.isInteger(zone) || zone < 1 || zone > 60) throw new Error(`UTM zone ${zone} is not 1..60`);
  return (north ? 32600 : 32700) + zone;
}

/** The UTM zone of an EPSG code 32601..32660 / 32701..32760, or null when it is not one. */
export function utmZoneOf(epsg: number): UtmZone | null {
  if (epsg >= 32601 && epsg <= 32660) return { zone: epsg - 32600, north: true };
  if (epsg >= 32701 && epsg <= 32760) return { zone: epsg - 32700, north: false };
  return null;
}

/** The PROJ string of a supported EPSG code; throws naming the code otherwise. */
export function projString(epsg: number): string {
  if (epsg === EPSG_WGS84) return WGS84;
  if (epsg === EPSG_CDL) return CONUS_ALBERS;
  const utm = utmZoneOf(epsg);
  if (utm) return `+proj=utm +zone=${utm.zone}${utm.north ? '' : ' +south'} +datum=WGS84 +units=m +no_defs`;
  throw new Error(`EPSG:${epsg} is not in the CRS registry (EPSG:4326, EPSG:5070, UTM 32601-32660, 32701-32760)`);
}

export function isSupportedEpsg(epsg: number): boolean {
  return epsg === EPSG_WGS84 || epsg === EPSG_CDL || utmZoneOf(epsg) !== null;
}

/** Parse `EPSG:5070`, `epsg:5070` or `5070`. */
export function parseEpsg(crs: string | number): number {
  if (typeof crs === 'number') return crs;
  const m = /^(?:EPSG:)?(\d+)$/i.exec(crs.trim());
  if (!m) throw new Error(`CRS ${JSON.stringify(crs)} is not of the form EPSG:<code>`);
  return Number(m[1]);
}

export type Point2 = [number, number];
export type TransformFn = (p: readonly [number, number]) => Point2;

const cache = new Map<string, TransformFn>();

/** A (cached) point transformer between two registry CRSs; x/y order is always lon/lat, east/north. */
export function transformer(from: number | string, to: number | string): TransformFn {
  const a = parseEpsg(from);
  const b = parseEpsg(to);
  const key = `${a}>${b}`;
  let fn = cache.get(key);
  if (!fn) {
    if (a === b) fn = (p) => [p[0], p[1]];
    else {
      const conv = proj4(projString(a), projString(b));
      fn = (p) => {
        const r = conv.forward([p[0], p[1]]);
        const x = r[0];
        const y = r[1];
        if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) {
          throw new Error(`cannot transform (${p[0]}, ${p[1]}) from EPSG:${a} to EPSG:${b}`);
        }
        return [x, y];
      };
    }
    cache.set(key, fn);
  }
  return fn;
}

/** Transform one point. */
export function transformPoint(p: readonly [number, number], from: number | string, to: number | string): Point2 {
  return transformer(from, to)(p);
}
