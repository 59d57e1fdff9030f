// The demo's local servers over the sample world: the IPFS provider (gateway), the STAC API, and with
// `bands: 'https'` the LP DAAC emulator with Earthdata Login; the run config that points at them.
// Their ports are kept in `<dataDir>/runs/demo-servers.json` and taken again at the next start when free,
// so an unfinished run's config (in KV) still points at live servers and the run can resume.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { ConfigSchema, SERVICES, type BandSourceName, type Config } from '@hls/contracts';
import { JobThread } from '@hls/common';
import type { ServersJob, ServersStarted } from './servers-thread.ts';
import type { World } from '@hls/world';

export interface LocalStackOptions {
  /** The run's data dir: the config's data_dir, and where the ports file goes. */
  dataDir: string;
  world: World;
  /**
   * Where the bands come from: `ipfs` (the local IPFS provider, default), `local` (the world's granule
   * folders, in place), `https` (the LP DAAC emulator, with Earthdata Login by a token made for the run).
   */
  bands?: BandSourceName;
  /** Ack wait of every service (default 120 s): how soon a killed run's in-flight work is redelivered. */
  ackWaitMs?: number;
}

export interface LocalStack {
  /** The run config over these servers. */
  config: Config;
  /** The STAC API root (`.../stac/LPCLOUD` is the catalog). */
  stacUrl: string;
  gatewayUrl: string;
  /** One line each about the servers (STAC API, where the bands come from), for the run's notes. */
  notes: string[];
  /** Every server is on the port of the last start, so an unfinished run's config still points at them. */
  resumable: boolean;
  /** When a last start is on record and not resumable: why (the ports taken, or new ones every start). */
  notResumable?: string;
  close(): Promise<void>;
}

interface ServerPorts {
  stac: number;
  gateway: number;
}

/** The ports file of the demo's servers under the data dir. */
export const serverPortsFile = (dataDir: string): string => join(resolve(dataDir), 'runs', 'demo-servers.json');

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
    // Warps run in a pool of two threads (two cores): four reprojections in flight keep each thread's next band
    // queued while the main thread publishes the last one and pulls the next; two clips at a time.
    services: {
      ...Object.fromEntries(SERVICES.map((s) => [s, { concurrency: 1, ack_wait_ms: ackWaitMs, max_deliver: 5 }])),
      reprojector: { concurrency: 4, ack_wait_ms: ackWaitMs, max_deliver: 5 },
      chipper: { concurrency: 2, ack_wait_ms: ackWaitMs, max_deliver: 5 },
      'ipfs-fetcher': { concurrency: 2, ack_wait_ms: ackWaitMs, max_deliver: 5 },
    },
    reproject: { extent: 'footprint', workers: 2 },
    // The web page shows each clipped chip's quick-looks.
    quicklooks: true,
    // With NATS_URL set the demo runs on that server instead of a private one.
    ...(process.env.NATS_URL ? { nats: { url: process.env.NATS_URL } } : {}),
    health_port: 0,
  });
}

/**
 * Start the local servers over the world, on a thread of their own (servers-thread.ts). With `bands: 'https'`
 * EARTHDATA_TOKEN is set to a token made for this start (the fetcher, in this process or a child, takes
 * Earthdata credentials from the environment) until close() puts the old value back.
 */
export async function startLocalStack(o: LocalStackOptions): Promise<LocalStack> {
  const dataDir = resolve(o.dataDir);
  const { world } = o;
  const portsFile = serverPortsFile(dataDir);
  const last = existsSync(portsFile) ? (JSON.parse(readFileSync(portsFile, 'utf8')) as ServerPorts) : undefined;
  const bands = o.bands ?? 'ipfs';
  const token = process.env.EARTHDATA_TOKEN;
  const demoToken = bands === 'https' ? randomBytes(16).toString('hex') : undefined;
  const thread = new JobThread<ServersJob, ServersStarted>(new URL('./servers-thread.ts', import.meta.url), { name: 'the demo servers thread' });
  const close = async (): Promise<void> => {
    if (demoToken) {
      if (token === undefined) delete process.env.EARTHDATA_TOKEN;
      else process.env.EARTHDATA_TOKEN = token;
    }
    await thread.close();
  };
  try {
    const s = await thread.run({ granuleDir: world.granuleDir, worldDir: world.dir, ...(last ? { last } : {}), ...(demoToken ? { lpdaacToken: demoToken } : {}) });
    if (demoToken) process.env.EARTHDATA_TOKEN = demoToken;
    const { lpdaac } = s;
    mkdirSync(join(dataDir, 'runs'), { recursive: true });
    writeFileSync(portsFile, JSON.stringify({ stac: s.stacPort, gateway: Number(new URL(s.gateway).port) } satisfies ServerPorts));
    const base = demoConfig(dataDir, world, s.stacUrl, s.gateway, o.ackWaitMs);
    const config: Config =
      bands === 'local'
        ? { ...base, stac: { ...base.stac, type: 'directory', path: world.granuleDir }, band_sources: ['local'] }
        : lpdaac
          ? { ...base, band_sources: ['https'], earthdata: { ...base.earthdata, auth_hosts: lpdaac.authHosts } }
          : base;
    const bandNote =
      bands === 'local' ? `bands: in place in ${world.granuleDir}` : lpdaac ? `bands: LP DAAC emulator ${lpdaac.assetBase} (Earthdata Login at ${lpdaac.authUrl})` : `ipfs: gateway ${s.gateway} (${s.files} files)`;
    // An unfinished run's config points at the servers' old ports: it resumes only when they are ours again
    // (the LP DAAC emulator's are new every time).
    const resumable = s.sameGateway && s.sameStac && !lpdaac;
    const taken = [...(s.sameStac ? [] : [`STAC API ${last?.stac}`]), ...(s.sameGateway ? [] : [`IPFS gateway ${last?.gateway}`])].join(', ');
    const why = taken ? `the ports its config points at are taken by another process (${taken})` : 'the LP DAAC emulator gets new ports at every start';
    return {
      config,
      stacUrl: s.stacUrl,
      gatewayUrl: s.gateway,
      notes: [`stac: ${s.stacUrl}/stac/LPCLOUD (${s.granules} granules)`, bandNote],
      resumable,
      ...(last && !resumable ? { notResumable: why } : {}),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
