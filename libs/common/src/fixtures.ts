import { resolve } from 'node:path';

/**
 * The project's real reference data (`shared/fixtures/real`, beside the repository checkout): chip
 * payloads, CDL tables, NASA metadata samples, the tile grid. HLS_FIXTURES_DIR overrides it.
 */
export const REAL_FIXTURES: string = process.env.HLS_FIXTURES_DIR ?? resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'real');
