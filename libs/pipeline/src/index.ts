export * from './progress.ts';
export * from './summary.ts';
export * from './processes.ts';
export * from './preflight.ts';
export * from './submit.ts';
export * from './run.ts';
export * from './demo.ts';
export * from './sweep.ts';
