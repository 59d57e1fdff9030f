export * from './plan.ts';
export * from './rasters.ts';
export * from './world.ts';
export * from './reclass-codes.ts';
