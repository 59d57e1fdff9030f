// The few CRSs the pipeline meets, as proj4 definitions kept here (not in @hls/geo) so the raster
// lib stands alone: WGS84 geographic, CONUS Albers (the CDL grid) and the WGS84 UTM zones of HLS tiles.
import proj4 from 'proj4';

const ALBERS_5070 = '+proj=aea +lat_0=23 +lon_0=-96 +lat_1=29.5 +lat_2=45.5 +x_0=0 +y_0=0 +datum=NAD83 +units=m +no_defs';

/** proj4 definition of an EPSG code we support: 4326, 5070, 32601..32660, 32701..32760. */
export function proj4Definition(epsg: number): string {
  if (epsg === 4326) return '+proj=longlat +datum=WGS84 +no_defs';
  if (epsg === 5070) return ALBERS_5070;
  if (epsg >= 32601 && epsg <= 32660) return `+proj=utm +zone=${epsg - 32600} +datum=WGS84 +units=m +no_defs`;
  if (epsg >= 32701 && epsg <= 32760) return `+proj=utm +zone=${epsg - 32700} +south +datum=WGS84 +units=m +no_defs`;
  throw new Error(`unsupported CRS EPSG:${epsg} (supported: 4326, 5070, UTM/WGS84 326zz and 327zz)`);
}

export function isSupportedEpsg(epsg: number): boolean {
  try {
    proj4Definition(epsg);
    return true;
  } catch {
    return false;
  }
}

/** EPSG of the WGS84 UTM zone (1..60) and hemisphere. */
export function utmEpsg(zone: number, south = false): number {
  if (!Number.isInteger(zone) || zone < 1 || zone > 60) throw new Error(`UTM zone ${zone} is not in 1..60`);
  return (south ? 32700 : 32600) + zone;
}

export type PointTransform = (x: number, y: number) => [number, number];

/** An exact point transform from one EPSG CRS to another (proj4). */
export function transformer(fromEpsg: number, toEpsg: number): PointTransform {
  if (fromEpsg === toEpsg) return (x, y) => [x, y];
  const conv = proj4(proj4Definition(fromEpsg), proj4Definition(toEpsg));
  return (x, y) => {
    const out = conv.forward([x, y]);
    return [out[0]!, out[1]!];
  };
}
