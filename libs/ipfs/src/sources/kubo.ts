// Kubo RPC source (the user's own Kubo node, or anything speaking its API): `block/get` through
// kubo-rpc-client. Blocks, not `cat`, so every byte can be verified against its CID.
import type { KuboRPCClient } from 'kubo-rpc-client';
import type { CID } from 'multiformats/cid';
import { BlockMissingError, type BlockSource } from './types.ts';

export function kuboSource(url: string, client?: KuboRPCClient): BlockSource {
  // kubo-rpc-client is loaded on first use: it is slow to import and most runs use a gateway.
  let ready: Promise<KuboRPCClient> | undefined = client ? Promise.resolve(client) : undefined;
  const getClient = (): Promise<KuboRPCClient> => (ready ??= import('kubo-rpc-client').then((m) => m.create({ url })));
  return {
    name: `kubo ${url}`,
    async get(cid: CID, signal: AbortSignal): Promise<Uint8Array> {
      const c = await getClient();
      try {
        return await c.block.get(cid, { signal });
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        if (/not found|could not find/i.test(msg)) throw new BlockMissingError(`block/get ${cid}: ${msg}`);
        throw new Error(`block/get ${cid}: ${msg}`, { cause: e });
      }
    },
  };
}
