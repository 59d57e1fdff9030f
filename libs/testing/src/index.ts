export * from './nats-server.ts';
export * from './otlp-receiver.ts';
export * from './tmp.ts';
export * from './prom-text.ts';
export * from './trace-checks.ts';
export * from './tiff-like.ts';
export * from './threads.ts';
