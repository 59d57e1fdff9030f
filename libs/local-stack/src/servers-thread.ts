// The demo's local servers on a thread of their own (servers.ts starts it): the IPFS provider's gateway, the
// STAC API and, for https bands, the LP DAAC emulator. They stand for remote NASA and IPFS endpoints; in the
// run's process they took the event loop the services use (serving blocks, ECHO10 parses) while a run fetched.
import { join } from 'node:path';
import { serveJobs } from '@hls/common';
import { startProvider, type Provider } from '@hls/ipfs';
import { CID_MAPPING_FILE, startLpDaacEmulator, startStacServer, type LpDaacEmulator, type StacServer } from '@hls/stac';

/** What the thread is asked to start. */
export interface ServersJob {
  /** The world's granule folders and its own dir (the blockstore goes under it). */
  granuleDir: string;
  worldDir: string;
  /** The ports of the last start, taken again when free. */
  last?: { stac: number; gateway: number };
  /** Set for https bands: the Earthdata token the emulator accepts. */
  lpdaacToken?: string;
}

/** What it started: URLs, whether each port was the last start's, and what the notes say. */
export interface ServersStarted {
  gateway: string;
  sameGateway: boolean;
  files: number;
  stacUrl: string;
  stacPort: number;
  sameStac: boolean;
  granules: number;
  lpdaac?: { assetBase: string; authUrl: string; authHosts: string[] };
}

/** Listen on the port of the last start if free, so a resumed run's config (in KV) still points at us. */
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

const running: { provider?: Provider; emu?: LpDaacEmulator; stac?: StacServer } = {};

async function closeAll(): Promise<void> {
  await running.stac?.close();
  await running.emu?.close();
  await running.provider?.close();
}

serveJobs<ServersJob, ServersStarted>(async (job) => {
  // The provider imports the granule folder (band files get their CIDs) and writes the mapping the STAC
  // server reads into its items' alternate.ipfs links.
  const { server: provider, same: sameGateway } = await onPort(job.last?.gateway, (port) =>
    startProvider({ dir: job.granuleDir, storeDir: join(job.worldDir, 'ipfs-blocks'), mappingFile: join(job.granuleDir, CID_MAPPING_FILE), bitswap: false, gatewayPort: port }),
  );
  running.provider = provider;
  try {
    const emu = job.lpdaacToken ? await startLpDaacEmulator({ dir: job.granuleDir, tokens: [job.lpdaacToken] }) : undefined;
    running.emu = emu;
    const s = await onPort(job.last?.stac, (port) => startStacServer({ dir: job.granuleDir, port, ...(emu ? { assetBase: emu.assetBase } : {}) }));
    running.stac = s.server;
    return {
      gateway: provider.gateway,
      sameGateway,
      files: provider.files.length,
      stacUrl: s.server.url,
      stacPort: s.server.port,
      sameStac: s.same,
      granules: s.server.granuleCount,
      ...(emu ? { lpdaac: { assetBase: emu.assetBase, authUrl: emu.authUrl, authHosts: emu.authHosts } } : {}),
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}, closeAll);
