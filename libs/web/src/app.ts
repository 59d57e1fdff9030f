// Everything `hls-chips web` starts: the chip payload and tile grid loaded once, the run feed from
// NATS (when reachable), and the HTTP server.
import { Bus } from '@hls/bus';
import { OBJECT_BUCKETS, type NatsConfig, type RunInputRef } from '@hls/contracts';
import { loadS2Grid, readChipPayload, type ChipRecord, type S2Tile } from '@hls/geo';
import { createLogger } from '@hls/telemetry';
import { RunFeed, startNatsFeed, type NatsFeedHandle } from './run-feed.ts';
import { startWebServer, type BaseMap, type WebServer } from './server.ts';

export interface WebAppOptions {
  chipsFile?: string;
  gridFile?: string;
  outDir: string;
  /** Without it (or when the server is unreachable) the run view is off; the AOI selector still works. */
  nats?: NatsConfig;
  port?: number;
  host?: string;
  baseMap?: BaseMap;
  /** Trace viewer URL template with `{traceId}`: the run view links trace ids. */
  traceUrl?: string;
  log?: (msg: string) => void;
}

export interface WebApp extends WebServer {
  feed?: RunFeed;
  chips: number;
  tiles: number;
  /** Why the run view is off, when it is. */
  natsProblem?: string;
}

/** Reads run inputs from the run-inputs bucket, looked up when first needed (never created). */
function runInputReader(bus: Bus): (ref: RunInputRef) => Promise<Uint8Array> {
  return async (ref) => {
    const store = await bus.lookupObjects(OBJECT_BUCKETS.runInputs);
    if (!store) throw new Error(`no object store bucket ${OBJECT_BUCKETS.runInputs} on this NATS server`);
    return store.get(ref);
  };
}

export async function startWebApp(o: WebAppOptions): Promise<WebApp> {
  const log = o.log ?? (() => undefined);
  let chips: ChipRecord[] = [];
  if (o.chipsFile) {
    const p = await readChipPayload(o.chipsFile);
    chips = p.chips;
    if (p.rejected.length) log(`${o.chipsFile}: ${p.rejected.length} chips rejected (first: ${p.rejected[0]?.detail})`);
  }
  // The grid may sit in a read-only place: no cache file next to it.
  const tiles: S2Tile[] = o.gridFile ? await loadS2Grid(o.gridFile, { cacheFile: false }) : [];
  let bus: Bus | undefined;
  let feed: RunFeed | undefined;
  let feedHandle: NatsFeedHandle | undefined;
  let natsProblem: string | undefined;
  if (o.nats) {
    try {
      bus = await Bus.connect({ nats: o.nats, name: 'hls-chips web', log: createLogger({ name: 'web', level: 'warn' }) });
      feed = new RunFeed();
      feedHandle = await startNatsFeed(bus, feed, { say: log });
    } catch (e) {
      natsProblem = (e as Error).message;
      log(`run view off: ${natsProblem}`);
      await bus?.close().catch(() => undefined);
      bus = undefined;
      feed = undefined;
    }
  }
  const feedBus = bus;
  const server = await startWebServer({
    ...(o.chipsFile ? { chipsFile: o.chipsFile } : {}),
    chips,
    tiles,
    outDir: o.outDir,
    ...(feed ? { feed } : {}),
    ...(feedBus ? { readRunInput: runInputReader(feedBus) } : {}),
    ...(o.baseMap ? { baseMap: o.baseMap } : {}),
    ...(o.traceUrl ? { traceUrl: o.traceUrl } : {}),
    ...(o.port !== undefined ? { port: o.port } : {}),
    ...(o.host ? { host: o.host } : {}),
    log,
  });
  return {
    ...server,
    ...(feed ? { feed } : {}),
    chips: chips.length,
    tiles: tiles.length,
    ...(natsProblem ? { natsProblem } : {}),
    async close() {
      await server.close();
      await feedHandle?.stop();
      await bus?.close();
    },
  };
}
