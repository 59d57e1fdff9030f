export * from './nats-server.ts';
export * from './private-nats.ts';
export * from './servers.ts';
