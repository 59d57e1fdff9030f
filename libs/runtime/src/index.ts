export * from './context.ts';
export * from './errors.ts';
export * from './metrics.ts';
export * from './health.ts';
export * from './service.ts';
export * from './run-inputs.ts';
export * from './main.ts';
