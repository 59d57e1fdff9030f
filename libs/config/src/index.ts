export * from './load.ts';
export type { Config } from '@hls/contracts';
