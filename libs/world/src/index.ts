export * from './plan.ts';
export * from './rasters.ts';
export * from './world.ts';
export * from './reclass-codes.ts';
export * from './band-metadata.ts';
export * from './cdl-colors.ts';
