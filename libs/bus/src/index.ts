export * from './bus.ts';
export * from './kv.ts';
export * from './connect.ts';
export * from './object-store.ts';
