export * from './qa.ts';
export * from './reclass.ts';
export * from './colormap.ts';
export * from './track-chips.ts';
export { pyFloat } from './csv.ts';
export * from './clip.ts';
export * from './filter.ts';
export * from './dataset-chips.ts';
export * from './chip-metadata.ts';
