export * from './context.ts';
export * from './errors.ts';
export * from './metrics.ts';
export * from './health.ts';
export * from './service.ts';
export * from './run-inputs.ts';
export * from './main.ts';
// Handlers publish many chip events a window at a time with it (a chip's event changes no shared record).
export { forEachInWindow } from '@hls/common';
