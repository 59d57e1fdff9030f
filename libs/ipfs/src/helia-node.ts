// Helia/libp2p nodes for bitswap: a serving node over our blockstore (the provider's bitswap endpoint on a
// loopback TCP multiaddr) and a client node that dials configured peers and asks them for blocks.
// Minimal libp2p: TCP, Noise, Yamux, identify; no DHT, no discovery, no relays: peers are given.
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { withBitswap } from '@helia/bitswap';
import { withLibp2pLight } from '@helia/libp2p';
import { identify } from '@libp2p/identify';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { BaseBlockstore } from 'blockstore-core/base';
import { BlackHoleBlockstore } from 'blockstore-core/black-hole';
import { createHeliaLight } from 'helia';
import type { CID } from 'multiformats/cid';
import { BlockNotFoundError, collectBytes, type BlockInput } from './blockstore.ts';
import { BlockTooLargeError, type BlockSource } from './sources/types.ts';

/** What the serving node reads blocks from (the provider's ServedStore, so faults apply to bitswap too). */
export interface BlockReader {
  getBlock(cid: CID, signal?: AbortSignal): Promise<Uint8Array>;
  store: { has(cid: CID): Promise<boolean>; put(cid: CID, bytes: BlockInput): Promise<CID> };
  faults?: { missing: Set<string> };
}

class ReaderBlockstore extends BaseBlockstore {
  private readonly reader: BlockReader;
  constructor(reader: BlockReader) {
    super();
    this.reader = reader;
  }
  override async has(cid: CID): Promise<boolean> {
    if (this.reader.faults?.missing.has(cid.toString())) return false;
    return this.reader.store.has(cid);
  }
  override async put(cid: CID, bytes: BlockInput): Promise<CID> {
    return this.reader.store.put(cid, await collectBytes(bytes));
  }
  override async *get(cid: CID, options?: { signal?: AbortSignal }): AsyncGenerator<Uint8Array> {
    try {
      yield await this.reader.getBlock(cid, options?.signal);
    } catch (e) {
      if (e instanceof BlockNotFoundError) {
        const err = new Error(e.message);
        err.name = 'NotFoundError';
        throw err;
      }
      throw e;
    }
  }
  override async delete(): Promise<void> {
    // the provider never deletes blocks
  }
}

function libp2pOptions(listen: string[]) {
  return {
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify() },
  };
}

export interface BitswapNode {
  peerId: string;
  /** Protobuf public key, base64 (Ed25519 peer ids inline it in their identity multihash). */
  publicKey: string;
  multiaddrs: string[];
  stop(): Promise<void>;
}

/** Serve `reader`'s blocks over bitswap on a loopback TCP port. */
export async function startBitswapNode(reader: BlockReader, host = '127.0.0.1', port = 0): Promise<BitswapNode> {
  const helia = withBitswap(withLibp2pLight(createHeliaLight({ blockstore: new ReaderBlockstore(reader) }), libp2pOptions([`/ip4/${host}/tcp/${port}`])));
  await helia.start();
  const id = helia.libp2p.peerId.toString();
  return {
    peerId: id,
    publicKey: Buffer.from(helia.libp2p.peerId.toMultihash().digest).toString('base64'),
    multiaddrs: helia.libp2p.getMultiaddrs().map((m) => m.toString()),
    stop: async () => {
      await helia.stop();
    },
  };
}

/** A client Helia node that keeps nothing (blocks stream straight to the fetcher) and asks `peers` over bitswap. */
export async function heliaSource(peers: readonly string[]): Promise<BlockSource> {
  const addrs = peers.map((p) => {
    try {
      return multiaddr(p);
    } catch (e) {
      throw new Error(`helia backend: bad peer multiaddr '${p}': ${(e as Error).message}`);
    }
  });
  for (const a of addrs) {
    if (!a.getComponents().some((c) => c.name === 'p2p')) throw new Error(`helia backend: peer multiaddr '${a}' lacks /p2p/<peer id>`);
  }
  const helia = withBitswap(withLibp2pLight(createHeliaLight({ blockstore: new BlackHoleBlockstore() }), libp2pOptions([])));
  await helia.start();
  const connect = async (signal: AbortSignal): Promise<void> => {
    const errors: string[] = [];
    let ok = 0;
    for (const a of addrs) {
      try {
        await helia.libp2p.dial(a, { signal });
        ok++;
      } catch (e) {
        errors.push(`${a}: ${(e as Error).message}`);
      }
    }
    if (ok === 0) throw new Error(`could not dial any bitswap peer: ${errors.join('; ')}`);
  };
  return {
    name: `helia ${peers.join(',')}`,
    async get(cid: CID, signal: AbortSignal, maxBytes: number): Promise<Uint8Array> {
      if (helia.libp2p.getConnections().length === 0) await connect(signal);
      // Bitswap already bounds a message (a few MiB); the block is also held to its own limit.
      const parts: Uint8Array[] = [];
      let total = 0;
      for await (const c of helia.blockstore.get(cid, { signal })) {
        total += c.byteLength;
        if (total > maxBytes) throw new BlockTooLargeError(`bitswap block ${cid}: more than the block's limit of ${maxBytes} bytes`);
        parts.push(c);
      }
      return parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
    },
    close: async () => {
      await helia.stop();
    },
  };
}
