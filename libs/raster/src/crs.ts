// CRSs as the raster lib carries them: an EPSG code when there is one (given, or a user-defined CRS
// whose parameters equal it), the proj4 definition the warper transforms with, and for CRSs written
// as user-defined (the way HLS and CDL files are) the GeoKeys GDAL writes for them.
// EPSG definitions come from the EPSG database package (epsg-db.ts).
import { requireCommonJs } from '@hls/common';
import type Proj4 from 'proj4';
import type { Converter } from 'proj4';
import { epsgEntry } from './epsg-db.ts';
import { GK, USER_DEFINED } from './geokey-codes.ts';

const proj4 = requireCommonJs<typeof Proj4>('proj4', import.meta.url);

/** One GeoKey as written: a SHORT value, a DOUBLE (GeoDoubleParams) or a string (GeoAsciiParams). */
export type GeoKeyEntry = { key: number; short: number } | { key: number; double: number } | { key: number; ascii: string };

export interface Crs {
  /** The EPSG CRS this is (for every purpose); null for a user-defined CRS with no EPSG equivalent. */
  epsg: number | null;
  /** proj4 definition used to transform coordinates. */
  proj4: string;
  /** EPSG name or the file's citation. */
  name: string;
  /**
   * How a writer encodes it when not by EPSG code: the GeoKeys (GTRasterTypeGeoKey aside) in the order
   * GDAL sets them (which orders GeoDoubleParams and GeoAsciiParams). Absent: written as its EPSG code.
   */
  geoKeys?: readonly GeoKeyEntry[];
}

/** A CRS or an EPSG code. */
export type CrsRef = Crs | number;

/** Something georeferenced: by a Crs, or (older callers) by an EPSG code alone. */
export type Georeferenced = { crs: Crs } | { epsg: number };

/** The EPSG CRS of a projected or geographic code, from the EPSG database. */
export function epsgCrs(epsg: number): Crs {
  const e = epsgEntry(epsg);
  if (!e) throw new Error(`unknown CRS EPSG:${epsg}: not a projected or geographic CRS in the EPSG database`);
  return { epsg, proj4: e.proj4, name: e.name };
}

/** proj4 definition of an EPSG projected or geographic CRS. */
export function proj4Definition(epsg: number): string {
  return epsgCrs(epsg).proj4;
}

export function isSupportedEpsg(epsg: number): boolean {
  return epsgEntry(epsg) !== null;
}

export function toCrs(ref: CrsRef): Crs {
  return typeof ref === 'number' ? epsgCrs(ref) : ref;
}

export function crsOf(g: Georeferenced): Crs {
  return 'crs' in g ? g.crs : epsgCrs(g.epsg);
}

/** `EPSG:32615`, or the name and proj4 of a CRS without a code. */
export function describeCrs(crs: Crs): string {
  return crs.epsg !== null ? `EPSG:${crs.epsg}` : `"${crs.name}" (${crs.proj4}, no EPSG equivalent)`;
}

/** The EPSG code of a CRS, for code that needs one; `what` names the file or step asking. */
export function requireEpsg(crs: Crs, what: string): number {
  if (crs.epsg === null) throw new Error(`${what}: CRS ${describeCrs(crs)} has no EPSG code, which this step needs`);
  return crs.epsg;
}

/** EPSG of the WGS84 UTM zone (1..60) and hemisphere. */
export function utmEpsg(zone: number, south = false): number {
  if (!Number.isInteger(zone) || zone < 1 || zone > 60) throw new Error(`UTM zone ${zone} is not in 1..60`);
  return (south ? 32700 : 32600) + zone;
}

export type PointTransform = (x: number, y: number) => [number, number];

// One proj4 converter per pair of definitions: building one parses both definitions.
const converters = new Map<string, Converter>();

/** An exact point transform between two CRSs (proj4). */
export function transformer(from: CrsRef, to: CrsRef): PointTransform {
  const a = toCrs(from).proj4;
  const b = toCrs(to).proj4;
  if (a === b) return (x, y) => [x, y];
  const key = `${a}\n${b}`;
  let conv = converters.get(key);
  if (!conv) {
    conv = proj4(a, b);
    converters.set(key, conv);
  }
  const c = conv;
  return (x, y) => {
    const out = c.forward([x, y]);
    return [out[0]!, out[1]!];
  };
}

// GeoKeys GDAL writes for a GEOGCS on the WGS 84 ellipsoid with an unnamed datum (as in HLS files).
const UNKNOWN_DATUM_WGS84_CITATION =
  'GCS Name = Unknown datum based upon the WGS 84 ellipsoid|Datum = Not_specified_based_on_WGS_84_spheroid|Ellipsoid = WGS 84|Primem = Greenwich|';

/**
 * The CRS of HLS band files as LP DAAC ships them: GDAL's `PROJCS["UTM Zone 15, Northern Hemisphere",
 * GEOGCS["Unknown datum based upon the WGS 84 ellipsoid",...]]`, user-defined (ProjectedCSTypeGeoKey
 * 32767, ProjectionGeoKey 16015). It is EPSG:326zz / 327zz for every purpose.
 */
export function hlsUtmCrs(zone: number, south = false): Crs {
  const epsg = utmEpsg(zone, south);
  const name = `UTM Zone ${zone}, ${south ? 'Southern' : 'Northern'} Hemisphere`;
  return {
    ...epsgCrs(epsg),
    name,
    geoKeys: [
      { key: GK.GTModelType, short: 1 },
      { key: GK.GTCitation, ascii: name },
      { key: GK.GeographicType, short: USER_DEFINED },
      { key: GK.GeogCitation, ascii: UNKNOWN_DATUM_WGS84_CITATION },
      { key: GK.GeogGeodeticDatum, short: USER_DEFINED },
      { key: GK.GeogAngularUnits, short: 9102 },
      { key: GK.GeogEllipsoid, short: USER_DEFINED },
      { key: GK.GeogSemiMajorAxis, double: 6378137 },
      { key: GK.GeogInvFlattening, double: 298.257223563 },
      { key: GK.GeogPrimeMeridianLong, double: 0 },
      { key: GK.ProjectedCSType, short: USER_DEFINED },
      { key: GK.Projection, short: (south ? 16100 : 16000) + zone },
      { key: GK.ProjLinearUnits, short: 9001 },
    ],
  };
}

/**
 * The CRS of the national CDL GeoTIFF: ESRI's `USA_Contiguous_Albers_Equal_Area_Conic_USGS_version`
 * on GCS_North_American_1983, written by GDAL as a user-defined Albers on EPSG:4269. It is EPSG:5070.
 */
export const CDL_ALBERS_CRS: Crs = {
  epsg: 5070,
  proj4: proj4Definition(5070),
  name: 'USA_Contiguous_Albers_Equal_Area_Conic_USGS_version',
  geoKeys: [
    { key: GK.GTModelType, short: 1 },
    { key: GK.GTCitation, ascii: 'USA_Contiguous_Albers_Equal_Area_Conic_USGS_version' },
    { key: GK.GeographicType, short: 4269 },
    { key: GK.GeogCitation, ascii: 'NAD83' },
    { key: GK.GeogAngularUnits, short: 9102 },
    { key: GK.ProjectedCSType, short: USER_DEFINED },
    { key: GK.Projection, short: USER_DEFINED },
    { key: GK.ProjCoordTrans, short: 11 },
    { key: GK.ProjLinearUnits, short: 9001 },
    // GDAL's order of GeoDoubleParams.
    { key: GK.ProjStdParallel1, double: 29.5 },
    { key: GK.ProjStdParallel2, double: 45.5 },
    { key: GK.ProjNatOriginLat, double: 23 },
    { key: GK.ProjNatOriginLong, double: -96 },
    { key: GK.ProjFalseEasting, double: 0 },
    { key: GK.ProjFalseNorthing, double: 0 },
    { key: GK.GeogInvFlattening, double: 298.257222101 },
    { key: GK.GeogSemiMajorAxis, double: 6378137 },
  ],
};

/** The exact WKTs GDAL shows for those two (what `gdal_translate -a_srs` is given to write them). */
export function hlsUtmWkt(zone: number, south = false): string {
  const lon0 = zone * 6 - 183;
  return (
    `PROJCS["UTM Zone ${zone}, ${south ? 'Southern' : 'Northern'} Hemisphere",GEOGCS["Unknown datum based upon the WGS 84 ellipsoid",` +
    'DATUM["Not_specified_based_on_WGS_84_spheroid",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],' +
    'UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],' +
    `PARAMETER["central_meridian",${lon0}],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],` +
    `PARAMETER["false_northing",${south ? 10000000 : 0}],UNIT["metre",1]]`
  );
}

export const CDL_ALBERS_WKT =
  'PROJCS["USA_Contiguous_Albers_Equal_Area_Conic_USGS_version",GEOGCS["GCS_North_American_1983",' +
  'DATUM["D_North_American_1983",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],' +
  'UNIT["Degree",0.0174532925199433]],PROJECTION["Albers"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],' +
  'PARAMETER["Central_Meridian",-96.0],PARAMETER["Standard_Parallel_1",29.5],PARAMETER["Standard_Parallel_2",45.5],' +
  'PARAMETER["Latitude_Of_Origin",23.0],UNIT["Meter",1.0]]';
