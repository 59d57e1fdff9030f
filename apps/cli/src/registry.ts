// Every service definition, by name: the CLI runs any of them in this process.
import { service as chipIndex, stopService as stopChipIndex } from '@hls/chip-index';
import { service as chipper, stopService as stopChipper } from '@hls/chipper';
import { SERVICES, type ServiceName } from '@hls/contracts';
import { service as datasetAnalytics, stopService as stopDatasetAnalytics } from '@hls/dataset-analytics';
import { service as ipfsFetcher, stopService as stopIpfsFetcher } from '@hls/ipfs-fetcher';
import { service as qaFilter, stopService as stopQaFilter } from '@hls/qa-filter';
import { service as reprojector, stopService as stopReprojector } from '@hls/reprojector';
import type { ServiceDefinition } from '@hls/runtime';
import { join } from 'node:path';
import { service as sceneSelector, stopService as stopSceneSelector } from '@hls/scene-selector';
import { service as stacScout, stopService as stopStacScout } from '@hls/stac-scout';

export const SERVICE_REGISTRY: Record<ServiceName, { def: ServiceDefinition; stop: () => Promise<void> }> = {
  'chip-index': { def: chipIndex, stop: stopChipIndex },
  'stac-scout': { def: stacScout, stop: stopStacScout },
  'scene-selector': { def: sceneSelector, stop: stopSceneSelector },
  'ipfs-fetcher': { def: ipfsFetcher, stop: stopIpfsFetcher },
  reprojector: { def: reprojector, stop: stopReprojector },
  chipper: { def: chipper, stop: stopChipper },
  'qa-filter': { def: qaFilter, stop: stopQaFilter },
  'dataset-analytics': { def: datasetAnalytics, stop: stopDatasetAnalytics },
};

export function serviceNames(names: string[]): ServiceName[] {
  const bad = names.filter((n) => !(SERVICES as readonly string[]).includes(n));
  if (bad.length > 0) throw new Error(`unknown service ${bad.map((b) => JSON.stringify(b)).join(', ')}; services are: ${SERVICES.join(', ')}`);
  return (names.length > 0 ? names : [...SERVICES]) as ServiceName[];
}

export const stopAll = (names: ServiceName[]) => async (): Promise<void> => {
  for (const n of names) await SERVICE_REGISTRY[n].stop();
};

/** The node arguments that run one service as its own process: the app's entry, as its Deployment does. */
export const serviceEntry = (name: ServiceName): string[] => [join(import.meta.dirname, '..', '..', name, 'src', 'main.ts')];
