export * from './records.ts';
export * from './state.ts';
export * from './ledger.ts';
export * from './run-status.ts';
export { tileKey, chipKey } from './keys.ts';
