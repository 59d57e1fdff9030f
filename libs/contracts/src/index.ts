export * from './ids.ts';
export * from './domain.ts';
export * from './subjects.ts';
export * from './geometry.ts';
export * from './config-schema.ts';
export * from './events.ts';
export * from './msgid.ts';
export * from './naming.ts';
