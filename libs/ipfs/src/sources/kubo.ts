// Kubo RPC source (the user's own Kubo node, or anything speaking its API): `block/get` through
// kubo-rpc-client. Blocks, not `cat`, so every byte can be verified against its CID.
import { create, type KuboRPCClient } from 'kubo-rpc-client';
import type { CID } from 'multiformats/cid';
import { BlockMissingError, type BlockSource } from './types.ts';

export function kuboSource(url: string, client: KuboRPCClient = create({ url })): BlockSource {
  return {
    name: `kubo ${url}`,
    async get(cid: CID, signal: AbortSignal): Promise<Uint8Array> {
      try {
        return await client.block.get(cid, { signal });
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        if (/not found|could not find/i.test(msg)) throw new BlockMissingError(`block/get ${cid}: ${msg}`);
        throw new Error(`block/get ${cid}: ${msg}`, { cause: e });
      }
    },
  };
}
