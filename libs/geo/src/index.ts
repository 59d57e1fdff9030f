export * from './crs.ts';
export * from './cdl-grid.ts';
export * from './pyjson.ts';
export * from './s2-grid-kml.ts';
export * from './s2-grid-cache.ts';
export * from './chip-payload.ts';
export * from './tile-assign.ts';
export * from './chip-index.ts';
