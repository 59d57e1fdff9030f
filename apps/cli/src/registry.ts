// Every service's factory, by name: the CLI runs any of them in this process. Each call makes a new
// instance with its own dependencies (worker pool, band sources, caches); its stop() closes them.
import { createService as chipIndex } from '@hls/chip-index';
import { createService as chipper } from '@hls/chipper';
import { SERVICES, type ServiceName } from '@hls/contracts';
import { createService as datasetAnalytics } from '@hls/dataset-analytics';
import { createService as ipfsFetcher } from '@hls/ipfs-fetcher';
import { createService as qaFilter } from '@hls/qa-filter';
import { createService as reprojector } from '@hls/reprojector';
import type { ServiceInstance } from '@hls/runtime';
import { join } from 'node:path';
import { createService as sceneSelector } from '@hls/scene-selector';
import { createService as stacScout } from '@hls/stac-scout';

export const SERVICE_FACTORIES: Record<ServiceName, () => ServiceInstance> = {
  'chip-index': chipIndex,
  'stac-scout': stacScout,
  'scene-selector': sceneSelector,
  'ipfs-fetcher': ipfsFetcher,
  reprojector,
  chipper,
  'qa-filter': qaFilter,
  'dataset-analytics': datasetAnalytics,
};

/** New instances of the named services, for one process. */
export const createServices = (names: readonly ServiceName[]): ServiceInstance[] => names.map((n) => SERVICE_FACTORIES[n]());

export function serviceNames(names: string[]): ServiceName[] {
  const bad = names.filter((n) => !(SERVICES as readonly string[]).includes(n));
  if (bad.length > 0) throw new Error(`unknown service ${bad.map((b) => JSON.stringify(b)).join(', ')}; services are: ${SERVICES.join(', ')}`);
  return (names.length > 0 ? names : [...SERVICES]) as ServiceName[];
}

export const stopAll = (services: readonly ServiceInstance[]) => async (): Promise<void> => {
  for (const s of services) await s.stop();
};

/** The node arguments that run one service as its own process: the app's entry, as its Deployment does. */
export const serviceEntry = (name: ServiceName): string[] => [join(import.meta.dirname, '..', '..', name, 'src', 'main.ts')];
