// ipfs-fetcher: its handlers made from their dependencies (the band sources), and the service as its process
// runs it (createService), with the sources it opened closed by stop().
import { SUBJECTS } from '@hls/contracts';
import type { ServiceHandlers, ServiceInstance } from '@hls/runtime';
import { bandSourceSets, sceneSelectedHandler, type IpfsFetcherDeps } from './handler.ts';

export { bandSourceSets, type IpfsFetcherDeps } from './handler.ts';

export function createIpfsFetcherHandlers(deps: IpfsFetcherDeps): ServiceHandlers {
  return { [SUBJECTS.sceneSelected]: sceneSelectedHandler(deps) };
}

/** The ipfs-fetcher with its own band source sets; stop() closes them. */
export function createService(): ServiceInstance {
  const sets = bandSourceSets();
  return { def: { name: 'ipfs-fetcher', handlers: createIpfsFetcherHandlers({ sources: sets.sources }) }, stop: sets.close };
}
