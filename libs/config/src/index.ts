export * from './load.ts';
export { configGiven, ENV_PREFIX, RESERVED_ENV } from './env-keys.ts';
export type { Config } from '@hls/contracts';
