// GeoTIFF GeoKey ids and the few code tables a GeoKey reader needs (GeoTIFF 1.0 spec, EPSG codes).
// CRS definitions themselves come from the EPSG database package (epsg-db.ts), not from here.

/** GeoKey ids by name (GeoTIFF 1.0 plus GDAL's ProjLinearUnitsInterpCorrectGeoKey). */
export const GK = {
  GTModelType: 1024,
  GTRasterType: 1025,
  GTCitation: 1026,
  GeographicType: 2048,
  GeogCitation: 2049,
  GeogGeodeticDatum: 2050,
  GeogPrimeMeridian: 2051,
  GeogLinearUnits: 2052,
  GeogLinearUnitSize: 2053,
  GeogAngularUnits: 2054,
  GeogAngularUnitSize: 2055,
  GeogEllipsoid: 2056,
  GeogSemiMajorAxis: 2057,
  GeogSemiMinorAxis: 2058,
  GeogInvFlattening: 2059,
  GeogAzimuthUnits: 2060,
  GeogPrimeMeridianLong: 2061,
  /** GDAL: 1 = false easting/northing are in the projection's linear units (not metres). */
  ProjLinearUnitsInterpCorrect: 3059,
  ProjectedCSType: 3072,
  PCSCitation: 3073,
  Projection: 3074,
  ProjCoordTrans: 3075,
  ProjLinearUnits: 3076,
  ProjLinearUnitSize: 3077,
  ProjStdParallel1: 3078,
  ProjStdParallel2: 3079,
  ProjNatOriginLong: 3080,
  ProjNatOriginLat: 3081,
  ProjFalseEasting: 3082,
  ProjFalseNorthing: 3083,
  ProjFalseOriginLong: 3084,
  ProjFalseOriginLat: 3085,
  ProjFalseOriginEasting: 3086,
  ProjFalseOriginNorthing: 3087,
  ProjCenterLong: 3088,
  ProjCenterLat: 3089,
  ProjCenterEasting: 3090,
  ProjCenterNorthing: 3091,
  ProjScaleAtNatOrigin: 3092,
  ProjScaleAtCenter: 3093,
  ProjAzimuthAngle: 3094,
  ProjStraightVertPoleLong: 3095,
} as const;

/** Key id -> name, for messages that list the keys found. */
export const GK_NAME: ReadonlyMap<number, string> = new Map(Object.entries(GK).map(([name, id]) => [id, `${name}GeoKey`]));

export const USER_DEFINED = 32767;

export const MODEL_PROJECTED = 1;
export const MODEL_GEOGRAPHIC = 2;

/** ProjCoordTransGeoKey codes we interpret. */
export const CT = {
  TransverseMercator: 1,
  Mercator: 7,
  LambertConfConic2SP: 8,
  LambertConfConic1SP: 9,
  LambertAzimEqualArea: 10,
  AlbersEqualArea: 11,
} as const;

export const CT_NAME: ReadonlyMap<number, string> = new Map(Object.entries(CT).map(([name, id]) => [id, name]));

/** ProjectionGeoKey (EPSG conversion codes): WGS84-style UTM zones, 16001..16060 north, 16101..16160 south. */
export function utmFromProjectionCode(code: number): { zone: number; south: boolean } | null {
  if (code >= 16001 && code <= 16060) return { zone: code - 16000, south: false };
  if (code >= 16101 && code <= 16160) return { zone: code - 16100, south: true };
  return null;
}

/** EPSG ellipsoids: semi-major axis (m) and inverse flattening. */
export const ELLIPSOIDS: ReadonlyMap<number, { name: string; a: number; rf: number }> = new Map([
  [7030, { name: 'WGS 84', a: 6378137, rf: 298.257223563 }],
  [7019, { name: 'GRS 1980', a: 6378137, rf: 298.257222101 }],
  [7008, { name: 'Clarke 1866', a: 6378206.4, rf: 294.978698213898 }],
  [7043, { name: 'WGS 72', a: 6378135, rf: 298.26 }],
  [7022, { name: 'International 1924', a: 6378388, rf: 297 }],
  [7004, { name: 'Bessel 1841', a: 6377397.155, rf: 299.1528128 }],
]);

/** EPSG geodetic datums -> their EPSG geographic CRS (whose definition the EPSG database gives). */
export const DATUM_GCS: ReadonlyMap<number, number> = new Map([
  [6326, 4326], // WGS 84
  [6269, 4269], // NAD83
  [6267, 4267], // NAD27
  [6258, 4258], // ETRS89
  [6322, 4322], // WGS 72
  [6283, 4283], // GDA94
]);

/** EPSG linear units -> metres per unit. */
export const LINEAR_UNITS: ReadonlyMap<number, { name: string; metres: number }> = new Map([
  [9001, { name: 'metre', metres: 1 }],
  [9002, { name: 'foot', metres: 0.3048 }],
  [9003, { name: 'US survey foot', metres: 1200 / 3937 }],
  [9036, { name: 'kilometre', metres: 1000 }],
]);

/** EPSG angular units -> degrees per unit. */
export const ANGULAR_UNITS: ReadonlyMap<number, { name: string; degrees: number }> = new Map([
  [9101, { name: 'radian', degrees: 180 / Math.PI }],
  [9102, { name: 'degree', degrees: 1 }],
  [9103, { name: 'arc-minute', degrees: 1 / 60 }],
  [9104, { name: 'arc-second', degrees: 1 / 3600 }],
  [9105, { name: 'grad', degrees: 0.9 }],
  [9106, { name: 'gon', degrees: 0.9 }],
  [9122, { name: 'degree', degrees: 1 }],
]);
