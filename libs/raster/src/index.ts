export * from './types.ts';
export * from './crs.ts';
export { RasterReadError, openRaster, readRasterWindow, readRasterInfo, parseScaleOffset } from './read.ts';
export type { RasterInfo, OpenRaster, OpenOptions } from './read.ts';
export { writeGeoTiff, encodeGeoTiff } from './write.ts';
export type { WriteGeoTiffOptions } from './write.ts';
