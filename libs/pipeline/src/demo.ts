// The demo: the sample world, the local STAC API and IPFS provider over it, then runPipeline.
import { join, resolve } from 'node:path';
import { ConfigSchema, type Config } from '@hls/contracts';
import { startProvider } from '@hls/ipfs';
import { CID_MAPPING_FILE, startStacServer } from '@hls/stac';
import { DEFAULT_WORLD, SMALL_WORLD, ensureWorld, type World, type WorldOptions } from '@hls/world';
import { runPipeline, type PipelineOptions, type PipelineResult } from './run.ts';

export interface DemoOptions extends Pick<PipelineOptions, 'services' | 'processes' | 'progress' | 'timeoutMs' | 'runId'> {
  dataDir: string;
  seed?: number;
  /** The small test world (few chips, rasters around them only). */
  small?: boolean;
  /** Overrides of the world options (tests). */
  world?: Partial<WorldOptions>;
}

export interface DemoResult extends PipelineResult {
  world: World;
}

/** The demo's run config over the local servers. */
export function demoConfig(dataDir: string, world: World, stacUrl: string, gatewayUrl: string): Config {
  return ConfigSchema.parse({
    data_dir: resolve(dataDir),
    train_dataset_name: 'demo',
    chip_payload_filename: world.chipPayload,
    grid_kml: world.gridKml,
    stac: { type: 'api', url: `${stacUrl}/stac/LPCLOUD`, page_limit: 100, timeout_ms: 30_000, retries: 3 },
    ipfs: { backends: [{ type: 'gateway', urls: [gatewayUrl] }], timeout_ms: 60_000, retries: 3, concurrency: 8 },
    cdl: { source: world.cdl, reclass_table: world.reclassTable },
    // Two reprojections and two clips at a time on two cores; warps run in a worker pool.
    services: {
      reprojector: { concurrency: 2, ack_wait_ms: 120_000, max_deliver: 5 },
      chipper: { concurrency: 2, ack_wait_ms: 120_000, max_deliver: 5 },
      'ipfs-fetcher': { concurrency: 2, ack_wait_ms: 120_000, max_deliver: 5 },
    },
    reproject: { extent: 'footprint', workers: 2 },
    health_port: 0,
  });
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const dataDir = resolve(o.dataDir);
  const say = (s: string): void => void o.progress?.write(`${s}\n`);
  const options: Partial<WorldOptions> = { ...(o.small ? SMALL_WORLD : DEFAULT_WORLD), ...(o.seed !== undefined ? { seed: o.seed } : {}), ...o.world };
  const world = await ensureWorld({ dataDir, options, log: say });
  const chips = world.plan.tiles.map((t) => `${t.tileId} ${t.chips.length} (${t.role})`).join(', ');
  const worldNote = `world: ${world.dir} ${world.generated ? `generated in ${world.seconds.toFixed(1)} s` : 'cached'}, ${(world.bytes / 1e6).toFixed(1)} MB; chips per tile: ${chips}`;
  // The provider imports the granule folder (band files get their CIDs) and writes the mapping the STAC
  // server reads into its items' alternate.ipfs links.
  const provider = await startProvider({
    dir: world.granuleDir,
    storeDir: join(world.dir, 'ipfs-blocks'),
    mappingFile: join(world.granuleDir, CID_MAPPING_FILE),
    bitswap: false,
  });
  let stac;
  try {
    stac = await startStacServer({ dir: world.granuleDir });
    const config = demoConfig(dataDir, world, stac.url, provider.gateway);
    const r = await runPipeline({
      config,
      chipPayload: world.chipPayload,
      gridKml: world.gridKml,
      services: o.services,
      label: 'demo',
      notes: [worldNote, `stac: ${stac.url}/stac/LPCLOUD (${stac.granuleCount} granules)`, `ipfs: gateway ${provider.gateway} (${provider.files.length} files)`],
      ...(o.processes ? { processes: o.processes } : {}),
      ...(o.progress ? { progress: o.progress } : {}),
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.runId ? { runId: o.runId } : {}),
    });
    return { ...r, world };
  } finally {
    await stac?.close();
    await provider.close();
  }
}
