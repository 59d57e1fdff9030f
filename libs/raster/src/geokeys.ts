// The CRS of a GeoTIFF from its GeoKeys, read the way GDAL (libgeotiff) reads them: an EPSG projected
// or geographic code, or a user-defined CRS (a UTM ProjectionGeoKey, or ProjCoordTransGeoKey with its
// parameter keys) on an EPSG geographic CRS / datum / ellipsoid or user-given semi-axes, with its
// linear and angular units. A user-defined CRS whose parameters equal an EPSG CRS is that CRS.
import { HlsError } from '@hls/common';
import type { Crs } from './crs.ts';
import { identifyEpsg } from './crs-identify.ts';
import { epsgEntry } from './epsg-db.ts';
import {
  ANGULAR_UNITS,
  CT,
  DATUM_GCS,
  ELLIPSOIDS,
  GK,
  GK_NAME,
  LINEAR_UNITS,
  MODEL_GEOGRAPHIC,
  MODEL_PROJECTED,
  USER_DEFINED,
  utmFromProjectionCode,
} from './geokey-codes.ts';

export type GeoKeyValue = number | number[] | string;
export type GeoKeyMap = ReadonlyMap<number, GeoKeyValue>;

/** GeoKeys that do not make a CRS we can interpret; the message ends with the keys found. */
export class GeoKeyError extends HlsError {
  constructor(why: string, keys: GeoKeyMap) {
    super('geokey', `cannot interpret the CRS: ${why}; GeoKeys found: ${describeGeoKeys(keys)}`, { retryable: false });
  }
}

/** `Name=value, ...` on one line (long strings cut). */
export function describeGeoKeys(keys: GeoKeyMap): string {
  if (keys.size === 0) return 'none';
  return [...keys]
    .map(([id, v]) => {
      const name = GK_NAME.get(id) ?? `key ${id}`;
      const text = typeof v === 'string' ? JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v) : Array.isArray(v) ? `[${v.join(',')}]` : String(v);
      return `${name}=${text}`;
    })
    .join(', ');
}

/** Decode GeoKeyDirectoryTag with its GeoDoubleParams and GeoAsciiParams (strings end with '|'). */
export function parseGeoKeyDirectory(directory: ArrayLike<number>, doubles: ArrayLike<number> = [], ascii = ''): Map<number, GeoKeyValue> {
  const keys = new Map<number, GeoKeyValue>();
  const n = directory[3] ?? 0;
  if (directory.length < 4 + 4 * n) throw new Error(`GeoKeyDirectory is truncated: ${n} keys announced, ${directory.length} values`);
  for (let i = 0; i < n; i++) {
    const [id, location, count, offset] = [0, 1, 2, 3].map((j) => Number(directory[4 + 4 * i + j])) as [number, number, number, number];
    if (location === 0) keys.set(id, offset);
    else if (location === 34736) {
      const v = Array.from(doubles).slice(offset, offset + count);
      if (v.length !== count) throw new Error(`GeoKey ${GK_NAME.get(id) ?? id} points past the end of GeoDoubleParams`);
      keys.set(id, count === 1 ? v[0]! : v);
    } else if (location === 34737) {
      keys.set(id, ascii.slice(offset, offset + count).replace(/[|\0]+$/, ''));
    } else if (location === 34735) {
      const v = Array.from(directory).slice(offset, offset + count);
      keys.set(id, count === 1 ? v[0]! : v);
    }
  }
  return keys;
}

function numberKey(keys: GeoKeyMap, id: number): number | undefined {
  const v = keys.get(id);
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length > 0) return v[0];
  return undefined;
}

/** A code key: absent and 0 read as undefined (GDAL treats 0 as unset). */
function codeKey(keys: GeoKeyMap, id: number): number | undefined {
  const v = numberKey(keys, id);
  return v === undefined || v === 0 ? undefined : v;
}

const fmt = (n: number): string => String(n);

interface Geographic {
  /** proj4 datum/ellipsoid (+prime meridian) terms. */
  terms: string;
  /** EPSG geographic CRS when known. */
  gcs: number | null;
  /** Degrees per angular unit. */
  degrees: number;
  name: string;
}

function angularUnits(keys: GeoKeyMap): number {
  const code = codeKey(keys, GK.GeogAngularUnits) ?? 9102;
  if (code === USER_DEFINED) {
    const size = numberKey(keys, GK.GeogAngularUnitSize);
    if (!(size !== undefined && size > 0)) throw new GeoKeyError('user-defined GeogAngularUnitsGeoKey without GeogAngularUnitSizeGeoKey', keys);
    return (size * 180) / Math.PI;
  }
  const u = ANGULAR_UNITS.get(code);
  if (!u) throw new GeoKeyError(`unknown angular unit GeogAngularUnitsGeoKey ${code}`, keys);
  return u.degrees;
}

/** proj4 terms of an EPSG geographic CRS: its datum or ellipsoid (everything but +proj and +no_defs). */
function gcsTerms(gcs: number, keys: GeoKeyMap, what: string): string {
  const e = epsgEntry(gcs);
  if (!e || e.kind !== 'CRS-GEOGCRS') throw new GeoKeyError(`${what} ${gcs} is not a geographic CRS in the EPSG database`, keys);
  return e.proj4
    .split(/\s+/)
    .filter((t) => t && !/^\+(proj|no_defs|type)\b/.test(t))
    .join(' ');
}

function geographic(keys: GeoKeyMap): Geographic {
  const degrees = angularUnits(keys);
  const citation = keys.get(GK.GeogCitation);
  const gcsCode = codeKey(keys, GK.GeographicType);
  if (gcsCode !== undefined && gcsCode !== USER_DEFINED) {
    return { terms: gcsTerms(gcsCode, keys, 'GeographicTypeGeoKey'), gcs: gcsCode, degrees, name: epsgEntry(gcsCode)!.name };
  }
  const name = typeof citation === 'string' ? citation : 'user-defined';
  let terms: string;
  let gcs: number | null = null;
  const datum = codeKey(keys, GK.GeogGeodeticDatum);
  if (datum !== undefined && datum !== USER_DEFINED) {
    gcs = DATUM_GCS.get(datum) ?? null;
    if (gcs === null) throw new GeoKeyError(`unknown datum GeogGeodeticDatumGeoKey ${datum}`, keys);
    terms = gcsTerms(gcs, keys, `GeogGeodeticDatumGeoKey ${datum}'s geographic CRS`);
  } else {
    const ellipsoid = codeKey(keys, GK.GeogEllipsoid);
    if (ellipsoid !== undefined && ellipsoid !== USER_DEFINED) {
      const e = ELLIPSOIDS.get(ellipsoid);
      if (!e) throw new GeoKeyError(`unknown ellipsoid GeogEllipsoidGeoKey ${ellipsoid}`, keys);
      terms = `+a=${fmt(e.a)} +rf=${fmt(e.rf)}`;
    } else {
      const a = numberKey(keys, GK.GeogSemiMajorAxis);
      const rf = numberKey(keys, GK.GeogInvFlattening);
      const b = numberKey(keys, GK.GeogSemiMinorAxis);
      if (a === undefined || !(a > 0) || (rf === undefined && b === undefined)) {
        throw new GeoKeyError('no geographic CRS: neither GeographicTypeGeoKey, a datum, an ellipsoid code nor GeogSemiMajorAxisGeoKey with GeogInvFlatteningGeoKey or GeogSemiMinorAxisGeoKey', keys);
      }
      // An inverse flattening of 0 is a sphere.
      terms = rf !== undefined ? (rf === 0 ? `+a=${fmt(a)} +b=${fmt(a)}` : `+a=${fmt(a)} +rf=${fmt(rf)}`) : `+a=${fmt(a)} +b=${fmt(b!)}`;
    }
  }
  const pmCode = codeKey(keys, GK.GeogPrimeMeridian);
  if (pmCode !== undefined && pmCode !== 8901 && pmCode !== USER_DEFINED) throw new GeoKeyError(`unsupported prime meridian GeogPrimeMeridianGeoKey ${pmCode}`, keys);
  const pm = (numberKey(keys, GK.GeogPrimeMeridianLong) ?? 0) * degrees;
  if (pm !== 0) terms += ` +pm=${fmt(pm)}`;
  return { terms, gcs, degrees, name };
}

function linearMetres(keys: GeoKeyMap): number {
  const code = codeKey(keys, GK.ProjLinearUnits) ?? 9001;
  if (code === USER_DEFINED) {
    const size = numberKey(keys, GK.ProjLinearUnitSize);
    if (!(size !== undefined && size > 0)) throw new GeoKeyError('user-defined ProjLinearUnitsGeoKey without ProjLinearUnitSizeGeoKey', keys);
    return size;
  }
  const u = LINEAR_UNITS.get(code);
  if (!u) throw new GeoKeyError(`unknown linear unit ProjLinearUnitsGeoKey ${code}`, keys);
  return u.metres;
}

/** proj4 projection terms (without datum and units) of a user-defined projected CRS. */
function projectionTerms(keys: GeoKeyMap, degrees: number, metres: number): string {
  const projection = codeKey(keys, GK.Projection);
  if (projection !== undefined && projection !== USER_DEFINED) {
    const utm = utmFromProjectionCode(projection);
    if (!utm) throw new GeoKeyError(`unsupported ProjectionGeoKey ${projection} (supported: UTM zones 16001-16060, 16101-16160)`, keys);
    return `+proj=utm +zone=${utm.zone}${utm.south ? ' +south' : ''}`;
  }
  const ct = codeKey(keys, GK.ProjCoordTrans);
  if (ct === undefined) throw new GeoKeyError('user-defined projected CRS without ProjectionGeoKey or ProjCoordTransGeoKey', keys);
  // The first key present, in libgeotiff's order of fallbacks.
  const first = (...ids: number[]): number | undefined => {
    for (const id of ids) {
      const v = numberKey(keys, id);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const need = (v: number | undefined, what: string): number => {
    if (v === undefined) throw new GeoKeyError(`${ctName(ct)} without ${what}`, keys);
    return v;
  };
  const angle = (v: number): string => fmt(v * degrees);
  const length = (v: number | undefined): string => fmt((v ?? 0) * metres);
  const natLat = first(GK.ProjNatOriginLat, GK.ProjFalseOriginLat, GK.ProjCenterLat);
  const natLong = first(GK.ProjNatOriginLong, GK.ProjFalseOriginLong, GK.ProjCenterLong);
  const fe = first(GK.ProjFalseEasting, GK.ProjCenterEasting, GK.ProjFalseOriginEasting);
  const fn = first(GK.ProjFalseNorthing, GK.ProjCenterNorthing, GK.ProjFalseOriginNorthing);
  const scale = first(GK.ProjScaleAtNatOrigin, GK.ProjScaleAtCenter) ?? 1;
  const p1 = numberKey(keys, GK.ProjStdParallel1);
  const p2 = numberKey(keys, GK.ProjStdParallel2);
  switch (ct) {
    case CT.TransverseMercator:
      return `+proj=tmerc +lat_0=${angle(natLat ?? 0)} +lon_0=${angle(need(natLong, 'ProjNatOriginLongGeoKey'))} +k=${fmt(scale)} +x_0=${length(fe)} +y_0=${length(fn)}`;
    case CT.AlbersEqualArea:
      return (
        `+proj=aea +lat_0=${angle(natLat ?? 0)} +lon_0=${angle(need(natLong, 'ProjNatOriginLongGeoKey'))} ` +
        `+lat_1=${angle(need(p1, 'ProjStdParallel1GeoKey'))} +lat_2=${angle(need(p2, 'ProjStdParallel2GeoKey'))} +x_0=${length(fe)} +y_0=${length(fn)}`
      );
    case CT.LambertConfConic2SP: {
      const lat0 = first(GK.ProjFalseOriginLat, GK.ProjNatOriginLat, GK.ProjCenterLat) ?? 0;
      const lon0 = need(first(GK.ProjFalseOriginLong, GK.ProjNatOriginLong, GK.ProjCenterLong), 'ProjFalseOriginLongGeoKey');
      const e = first(GK.ProjFalseOriginEasting, GK.ProjFalseEasting, GK.ProjCenterEasting);
      const n = first(GK.ProjFalseOriginNorthing, GK.ProjFalseNorthing, GK.ProjCenterNorthing);
      return (
        `+proj=lcc +lat_0=${angle(lat0)} +lon_0=${angle(lon0)} +lat_1=${angle(need(p1, 'ProjStdParallel1GeoKey'))} ` +
        `+lat_2=${angle(need(p2, 'ProjStdParallel2GeoKey'))} +x_0=${length(e)} +y_0=${length(n)}`
      );
    }
    case CT.LambertConfConic1SP: {
      const lat0 = angle(need(natLat, 'ProjNatOriginLatGeoKey'));
      return `+proj=lcc +lat_1=${lat0} +lat_0=${lat0} +lon_0=${angle(need(natLong, 'ProjNatOriginLongGeoKey'))} +k_0=${fmt(scale)} +x_0=${length(fe)} +y_0=${length(fn)}`;
    }
    case CT.Mercator:
      return (
        `+proj=merc +lon_0=${angle(need(natLong, 'ProjNatOriginLongGeoKey'))} ` +
        `${p1 !== undefined ? `+lat_ts=${angle(p1)}` : `+k=${fmt(scale)}`} +x_0=${length(fe)} +y_0=${length(fn)}`
      );
    case CT.LambertAzimEqualArea: {
      const lat0 = first(GK.ProjCenterLat, GK.ProjNatOriginLat, GK.ProjFalseOriginLat);
      const lon0 = first(GK.ProjCenterLong, GK.ProjNatOriginLong, GK.ProjFalseOriginLong);
      return `+proj=laea +lat_0=${angle(need(lat0, 'ProjCenterLatGeoKey'))} +lon_0=${angle(need(lon0, 'ProjCenterLongGeoKey'))} +x_0=${length(fe)} +y_0=${length(fn)}`;
    }
    default:
      throw new GeoKeyError(`unsupported ProjCoordTransGeoKey ${ct} (supported: 1 Transverse Mercator, 7 Mercator, 8 LCC 2SP, 9 LCC 1SP, 10 LAEA, 11 Albers)`, keys);
  }
}

function ctName(ct: number): string {
  return `ProjCoordTransGeoKey ${ct}`;
}

function unitsTerm(metres: number): string {
  return metres === 1 ? '+units=m' : `+to_meter=${fmt(metres)}`;
}

/** The CRS the GeoKeys describe; throws GeoKeyError (one line, with the keys found) when they cannot be interpreted. */
export function crsFromGeoKeys(keys: GeoKeyMap): Crs {
  const pcs = codeKey(keys, GK.ProjectedCSType);
  const gcsKey = codeKey(keys, GK.GeographicType);
  const model = codeKey(keys, GK.GTModelType) ?? (pcs !== undefined ? MODEL_PROJECTED : gcsKey !== undefined ? MODEL_GEOGRAPHIC : undefined);
  const citation = keys.get(GK.GTCitation) ?? keys.get(GK.PCSCitation);
  if (model === undefined) throw new GeoKeyError('no GTModelTypeGeoKey, ProjectedCSTypeGeoKey or GeographicTypeGeoKey', keys);
  if (model === MODEL_PROJECTED) {
    if (pcs !== undefined && pcs !== USER_DEFINED) {
      const e = epsgEntry(pcs);
      if (!e || e.kind !== 'CRS-PROJCRS') throw new GeoKeyError(`ProjectedCSTypeGeoKey ${pcs} is not a projected CRS in the EPSG database`, keys);
      return { epsg: pcs, proj4: e.proj4, name: e.name };
    }
    const geog = geographic(keys);
    const metres = linearMetres(keys);
    const def = `${projectionTerms(keys, geog.degrees, metres)} ${geog.terms} ${unitsTerm(metres)} +no_defs`;
    return identified(def, geog.gcs, true, typeof citation === 'string' ? citation : 'user-defined projected CRS');
  }
  if (model === MODEL_GEOGRAPHIC) {
    if (gcsKey !== undefined && gcsKey !== USER_DEFINED) {
      const e = epsgEntry(gcsKey);
      if (!e || e.kind !== 'CRS-GEOGCRS') throw new GeoKeyError(`GeographicTypeGeoKey ${gcsKey} is not a geographic CRS in the EPSG database`, keys);
      return { epsg: gcsKey, proj4: e.proj4, name: e.name };
    }
    const geog = geographic(keys);
    return identified(`+proj=longlat ${geog.terms} +no_defs`, geog.gcs, false, geog.name);
  }
  throw new GeoKeyError(`unsupported GTModelTypeGeoKey ${model} (1 projected, 2 geographic)`, keys);
}

function identified(def: string, gcs: number | null, projected: boolean, name: string): Crs {
  const epsg = identifyEpsg({ proj4: def, geographic: gcs, projected });
  return epsg !== null ? { epsg, proj4: epsgEntry(epsg)!.proj4, name } : { epsg: null, proj4: def, name };
}
