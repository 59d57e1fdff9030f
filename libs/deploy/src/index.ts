export * from './schemas.ts';
export * from './dockerfile.ts';
export * from './kustomize.ts';
export * from './checks.ts';
export * from './strict-fields.ts';
export * from './nats-release.ts';
