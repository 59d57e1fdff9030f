// stac-scout: its handlers made from their dependencies (the request limiter, CID mapping files read once),
// and the service as its process runs it (createService).
import { SUBJECTS } from '@hls/contracts';
import type { ServiceHandlers, ServiceInstance } from '@hls/runtime';
import { stacScoutDeps, tileRequestedHandler, type StacScoutDeps } from './handler.ts';

export { stacScoutDeps, type StacScoutDeps } from './handler.ts';

export function createStacScoutHandlers(deps: StacScoutDeps): ServiceHandlers {
  return { [SUBJECTS.tileRequested]: tileRequestedHandler(deps) };
}

/** The stac-scout with its own limiters and mapping cache; nothing to close. */
export function createService(): ServiceInstance {
  return { def: { name: 'stac-scout', handlers: createStacScoutHandlers(stacScoutDeps()) }, stop: async () => {} };
}
