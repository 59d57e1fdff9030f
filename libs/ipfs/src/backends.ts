// Build a Fetcher from the pipeline's IPFS config (IpfsConfigSchema): backends in order, each gateway URL
// its own source so gateways fail over one to the next.
import type { IpfsBackendConfig } from '@hls/contracts';
import { Fetcher, type FetcherOptions } from './fetcher.ts';
import { gatewaySource } from './sources/gateway.ts';
import { kuboSource } from './sources/kubo.ts';
import type { BlockSource } from './sources/types.ts';

export interface IpfsSettings {
  backends: IpfsBackendConfig[];
  timeout_ms: number;
  retries: number;
  concurrency: number;
  /** Largest block taken when nothing gives its size (config ipfs.max_block_bytes). */
  max_block_bytes?: number;
}

/** One source per kubo URL, per gateway URL and per helia backend (a client node dialing its peers), in order. */
export async function sourcesFor(backends: readonly IpfsBackendConfig[]): Promise<BlockSource[]> {
  const out: BlockSource[] = [];
  for (const b of backends) {
    if (b.type === 'kubo') out.push(kuboSource(b.url));
    else if (b.type === 'gateway') for (const u of b.urls) out.push(gatewaySource(u));
    else {
      // Loaded on demand: libp2p is heavy and only this backend needs it.
      const { heliaSource } = await import('./helia-node.ts');
      out.push(await heliaSource(b.peers));
    }
  }
  return out;
}

export async function createFetcher(cfg: IpfsSettings, extra: Partial<FetcherOptions> = {}): Promise<Fetcher> {
  return new Fetcher({
    sources: await sourcesFor(cfg.backends),
    timeoutMs: cfg.timeout_ms,
    retries: cfg.retries,
    concurrency: cfg.concurrency,
    ...(cfg.max_block_bytes !== undefined ? { maxBlockBytes: cfg.max_block_bytes } : {}),
    ...extra,
  });
}

export interface BackendFlags {
  rpc?: string;
  gateway?: string[];
  peer?: string[];
  timeout?: string | number;
  retries?: string | number;
  concurrency?: string | number;
}

/** Command-line overrides on top of the configured settings: any backend flag replaces the configured list. */
export function settingsWithFlags(base: IpfsSettings, f: BackendFlags): IpfsSettings {
  const backends: IpfsBackendConfig[] = [];
  if (f.rpc) backends.push({ type: 'kubo', url: f.rpc });
  if (f.gateway && f.gateway.length > 0) backends.push({ type: 'gateway', urls: f.gateway });
  if (f.peer && f.peer.length > 0) backends.push({ type: 'helia', peers: f.peer });
  const num = (v: string | number | undefined, fallback: number, what: string): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${what} must be a non-negative integer, got '${v}'`);
    return n;
  };
  return {
    backends: backends.length > 0 ? backends : base.backends,
    timeout_ms: num(f.timeout, base.timeout_ms, 'timeout'),
    retries: num(f.retries, base.retries, 'retries'),
    concurrency: Math.max(1, num(f.concurrency, base.concurrency, 'concurrency')),
    ...(base.max_block_bytes !== undefined ? { max_block_bytes: base.max_block_bytes } : {}),
  };
}
