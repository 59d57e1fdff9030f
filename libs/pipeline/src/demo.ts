// The demo: the sample world, the local STAC API and IPFS provider over it, then runPipeline.
import { join, resolve } from 'node:path';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ConfigSchema, SERVICES, type BandSourceName, type Config } from '@hls/contracts';
import { startProvider } from '@hls/ipfs';
import { CID_MAPPING_FILE, startLpDaacEmulator, startStacServer, type LpDaacEmulator } from '@hls/stac';
import { DEFAULT_WORLD, SMALL_WORLD, ensureWorld, type World, type WorldOptions } from '@hls/world';
import { runPipeline, unfinishedRun, type PipelineOptions, type PipelineResult } from './run.ts';

export interface DemoOptions extends Pick<PipelineOptions, 'services' | 'processes' | 'progress' | 'timeoutMs' | 'runId'> {
  dataDir: string;
  seed?: number;
  /** The small test world (few chips, rasters around them only). */
  small?: boolean;
  /** Overrides of the world options (tests). */
  world?: Partial<WorldOptions>;
  /** Ack wait of every service (default 120 s): how soon a killed run's in-flight work is redelivered. */
  ackWaitMs?: number;
  /**
   * Where the bands come from: `ipfs` (the local IPFS provider, default), `local` (the world's granule
   * folders, in place), `https` (the LP DAAC emulator, with Earthdata Login by a token made for the run).
   */
  bands?: BandSourceName;
}

interface ServerPorts {
  stac: number;
  gateway: number;
}

/** Listen on the port of the last demo if free, so a resumed run's config (in KV) still points at us. */
async function onPort<T>(port: number | undefined, start: (port: number) => Promise<T>): Promise<{ server: T; same: boolean }> {
  if (port) {
    try {
      return { server: await start(port), same: true };
    } catch (e) {
      if ((e as { code?: string }).code !== 'EADDRINUSE') throw e;
    }
  }
  return { server: await start(0), same: false };
}

export interface DemoResult extends PipelineResult {
  world: World;
  /** Set when an unfinished run could not be resumed (its servers' ports were taken): which and why. */
  abandoned?: string;
}

/** The demo's run config over the local servers. */
export function demoConfig(dataDir: string, world: World, stacUrl: string, gatewayUrl: string, ackWaitMs = 120_000): Config {
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
      ...Object.fromEntries(SERVICES.map((s) => [s, { concurrency: 1, ack_wait_ms: ackWaitMs, max_deliver: 5 }])),
      reprojector: { concurrency: 2, ack_wait_ms: ackWaitMs, max_deliver: 5 },
      chipper: { concurrency: 2, ack_wait_ms: ackWaitMs, max_deliver: 5 },
      'ipfs-fetcher': { concurrency: 2, ack_wait_ms: ackWaitMs, max_deliver: 5 },
    },
    reproject: { extent: 'footprint', workers: 2 },
    // With NATS_URL set the demo runs on that server instead of a private one.
    ...(process.env.NATS_URL ? { nats: { url: process.env.NATS_URL } } : {}),
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
  const portsFile = join(dataDir, 'runs', 'demo-servers.json');
  const last = existsSync(portsFile) ? (JSON.parse(readFileSync(portsFile, 'utf8')) as ServerPorts) : undefined;
  const { server: provider, same: sameGateway } = await onPort(last?.gateway, (port) =>
    startProvider({
      dir: world.granuleDir,
      storeDir: join(world.dir, 'ipfs-blocks'),
      mappingFile: join(world.granuleDir, CID_MAPPING_FILE),
      bitswap: false,
      gatewayPort: port,
    }),
  );
  let stac;
  let emu: LpDaacEmulator | undefined;
  const bands = o.bands ?? 'ipfs';
  const token = process.env.EARTHDATA_TOKEN;
  try {
    if (bands === 'https') {
      const demoToken = randomBytes(16).toString('hex');
      emu = await startLpDaacEmulator({ dir: world.granuleDir, tokens: [demoToken] });
      // The fetcher (in this process or a child) takes Earthdata credentials from the environment.
      process.env.EARTHDATA_TOKEN = demoToken;
    }
    const lpdaac = emu;
    const s = await onPort(last?.stac, (port) => startStacServer({ dir: world.granuleDir, port, ...(lpdaac ? { assetBase: lpdaac.assetBase } : {}) }));
    stac = s.server;
    mkdirSync(join(dataDir, 'runs'), { recursive: true });
    writeFileSync(portsFile, JSON.stringify({ stac: stac.port, gateway: Number(new URL(provider.gateway).port) } satisfies ServerPorts));
    const base = demoConfig(dataDir, world, stac.url, provider.gateway, o.ackWaitMs);
    const config: Config =
      bands === 'local'
        ? { ...base, stac: { ...base.stac, type: 'directory', path: world.granuleDir }, band_sources: ['local'] }
        : lpdaac
          ? { ...base, band_sources: ['https'], earthdata: { ...base.earthdata, auth_hosts: lpdaac.authHosts } }
          : base;
    const bandNote =
      bands === 'local' ? `bands: in place in ${world.granuleDir}` : lpdaac ? `bands: LP DAAC emulator ${lpdaac.assetBase} (Earthdata Login at ${lpdaac.authUrl})` : `ipfs: gateway ${provider.gateway} (${provider.files.length} files)`;
    // An unfinished run's config points at the servers' old ports: resume it only when they are ours again
    // (the LP DAAC emulator's are new every time).
    const resume = sameGateway && s.same && !lpdaac;
    const unfinished = o.runId ? undefined : unfinishedRun(dataDir, 'demo');
    const taken = [...(s.same ? [] : [`STAC API ${last?.stac}`]), ...(sameGateway ? [] : [`IPFS gateway ${last?.gateway}`])].join(', ');
    const why = taken ? `the ports its config points at are taken by another process (${taken})` : 'the LP DAAC emulator gets new ports at every start';
    const abandoned = unfinished && !resume && last ? `cannot resume the unfinished run ${unfinished}: ${why}; starting a new run instead` : undefined;
    if (abandoned) say(`demo: ${abandoned}`);
    const r = await runPipeline({
      config,
      chipPayload: world.chipPayload,
      gridKml: world.gridKml,
      services: o.services,
      label: 'demo',
      resume,
      notes: [worldNote, `stac: ${stac.url}/stac/LPCLOUD (${stac.granuleCount} granules)`, bandNote],
      ...(o.processes ? { processes: o.processes } : {}),
      ...(o.progress ? { progress: o.progress } : {}),
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.runId ? { runId: o.runId } : {}),
    });
    return { ...r, world, ...(abandoned ? { abandoned } : {}) };
  } finally {
    if (bands === 'https') {
      if (token === undefined) delete process.env.EARTHDATA_TOKEN;
      else process.env.EARTHDATA_TOKEN = token;
    }
    await stac?.close();
    await emu?.close();
    await provider.close();
  }
}
