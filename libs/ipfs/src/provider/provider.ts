// The local IPFS provider (`hls-chips ipfs serve`): imports a directory as UnixFS exactly like
// `ipfs add -r --cid-version 1`, keeps the blocks in a persistent on-disk blockstore, writes the
// easierdata filename -> CID mapping, and serves a trustless gateway and the Kubo RPC subset on loopback.
// With `bitswap` (default on) a Helia/libp2p node also serves the blocks over bitswap on loopback TCP.
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { FsBlockStore } from '../blockstore.ts';
import { importDirectory, type ImportedFile, type ImportedTree } from '../importer.ts';
import { mappingEntries, writeCidMapping } from '../mapping.ts';
import { makeFaults, type FaultOptions, type Faults } from './faults.ts';
import { gatewayServer } from './gateway-server.ts';
import { RequestStats, closeServer, listen } from './http-util.ts';
import { newEd25519PeerId } from './peer-id.ts';
import type { BitswapNode } from '../helia-node.ts';
import { rpcServer } from './rpc-server.ts';
import { ServedStore } from './served-store.ts';

export interface ProviderOptions {
  /** Directory to import and serve. */
  dir: string;
  /** Persistent blockstore directory. */
  storeDir: string;
  /** Where to write the filename -> CID mapping; none when undefined. */
  mappingFile?: string;
  host?: string;
  gatewayPort?: number;
  rpcPort?: number;
  faults?: FaultOptions;
  /** Serve bitswap over libp2p TCP (default true). */
  bitswap?: boolean;
  bitswapPort?: number;
}

export interface Provider {
  gateway: string;
  rpc: string;
  peerId: string;
  /** Root CID of the imported directory. */
  root: string;
  files: ImportedFile[];
  /** What the import left out of `dir`, with the reason. */
  skipped: ImportedTree['skipped'];
  mappingFile: string | undefined;
  faults: Faults;
  stats: RequestStats;
  store: ServedStore;
  /** libp2p multiaddrs of the bitswap node, `/ip4/127.0.0.1/tcp/N/p2p/<peer id>` (empty without bitswap). */
  addresses: string[];
  close(): Promise<void>;
}

export async function startProvider(o: ProviderOptions): Promise<Provider> {
  const host = o.host ?? '127.0.0.1';
  const blocks = new FsBlockStore(resolve(o.storeDir));
  const tree = await importDirectory(resolve(o.dir), blocks);
  const mappingFile = o.mappingFile ? resolve(o.mappingFile) : undefined;
  if (mappingFile) await writeCidMapping(mappingFile, mappingEntries(tree.files));
  const faults = makeFaults(o.faults);
  const store = new ServedStore(blocks, faults);
  const stats = new RequestStats();
  let me = newEd25519PeerId();
  const addresses: string[] = [];
  let node: BitswapNode | undefined;
  if (o.bitswap ?? true) {
    // Loaded on demand: libp2p is heavy and most users of this lib never start a node.
    const { startBitswapNode } = await import('../helia-node.ts');
    node = await startBitswapNode(store, host, o.bitswapPort ?? 0);
    me = { id: node.peerId, publicKey: node.publicKey };
    addresses.push(...node.multiaddrs);
  }
  const servers: Server[] = [gatewayServer(store, stats), rpcServer(store, stats, () => ({ ...me, addresses }))];
  const [gateway, rpc] = [await listen(servers[0] as Server, host, o.gatewayPort ?? 0), await listen(servers[1] as Server, host, o.rpcPort ?? 0)];
  return {
    gateway: gateway as string,
    rpc: rpc as string,
    peerId: me.id,
    root: tree.root.toString(),
    files: tree.files,
    skipped: tree.skipped,
    mappingFile,
    faults,
    stats,
    store,
    addresses,
    close: async () => {
      await Promise.all(servers.map(closeServer));
      await node?.stop();
    },
  };
}
