export { parseCsv, csvField, csvLine } from './csv.ts';
export { Limiter, backoffDelay, forEachInWindow, sleep } from './limiter.ts';
export * from './fixtures.ts';
export * from './random.ts';
export * from './errors.ts';
export { requireCommonJs } from './commonjs.ts';
export { JobThread, serveJobs, type JobThreadOptions, type ThreadError } from './job-thread.ts';
