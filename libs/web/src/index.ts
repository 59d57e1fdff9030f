export * from './run-model.ts';
export * from './run-feed.ts';
export * from './geojson.ts';
export * from './server.ts';
export * from './app.ts';
