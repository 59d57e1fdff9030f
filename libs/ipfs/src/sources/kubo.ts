// Kubo RPC source (the user's own Kubo node, or anything speaking its API): `POST /api/v0/block/get`.
// Blocks, not `cat`, so every byte can be verified against its CID. Plain fetch rather than
// kubo-rpc-client, whose block.get buffers the whole answer: the body is read up to the block's limit.
// No ranged reads (getRange): `cat?offset&length` answers plain file bytes, which cannot be checked against
// any CID, so a range is read from Kubo block by block (and likewise from Helia, whose bitswap is per block).
import type { CID } from 'multiformats/cid';
import { readBodyLimited } from './bounded-body.ts';
import { BlockMissingError, type BlockSource } from './types.ts';

/** `http://host:5001` or `http://host:5001/api/v0` -> the API root. */
const apiRoot = (url: string): string => {
  const base = url.replace(/\/+$/, '');
  return /\/api\/v0$/.test(base) ? base : `${base}/api/v0`;
};

export function kuboSource(url: string): BlockSource {
  const api = apiRoot(url);
  return {
    name: `kubo ${url}`,
    async get(cid: CID, signal: AbortSignal, maxBytes: number): Promise<Uint8Array> {
      const call = `${api}/block/get?arg=${cid.toString()}`;
      const res = await fetch(call, { method: 'POST', signal });
      if (res.ok) return readBodyLimited(res, maxBytes, call);
      // Kubo answers errors as JSON {Message, Code, Type}.
      const text = new TextDecoder().decode(await readBodyLimited(res, 4096, call).catch(() => new Uint8Array()));
      let msg = text.slice(0, 200);
      try {
        msg = String((JSON.parse(text) as { Message?: unknown }).Message ?? msg);
      } catch {
        // not JSON: keep the text
      }
      // Kubo answers a block it does not have with HTTP 500 and Code 0: its message is the only sign.
      if (res.status === 404 || /not found|could not find/i.test(msg)) throw new BlockMissingError(`block/get ${cid}: ${msg}`);
      throw new Error(`block/get ${cid}: HTTP ${res.status} ${msg}`.trim());
    },
  };
}
