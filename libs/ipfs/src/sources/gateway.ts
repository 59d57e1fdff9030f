// Trustless gateway source: GET /ipfs/<cid>?format=raw with Accept: application/vnd.ipld.raw returns one
// block, which the caller verifies (the gateway is not trusted).
import type { CID } from 'multiformats/cid';
import { readBodyLimited } from './bounded-body.ts';
import { BlockMissingError, type BlockSource } from './types.ts';

export const RAW_BLOCK_MEDIA_TYPE = 'application/vnd.ipld.raw';
export const CAR_MEDIA_TYPE = 'application/vnd.ipld.car';

export function gatewaySource(baseUrl: string): BlockSource {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    name: `gateway ${base}`,
    async get(cid: CID, signal: AbortSignal, maxBytes: number): Promise<Uint8Array> {
      const url = `${base}/ipfs/${cid.toString()}?format=raw`;
      const res = await fetch(url, { headers: { accept: RAW_BLOCK_MEDIA_TYPE }, signal });
      if (res.status === 404 || res.status === 410) {
        await res.body?.cancel();
        throw new BlockMissingError(`${url}: HTTP ${res.status} (not found)`);
      }
      if (!res.ok) {
        const text = new TextDecoder().decode(await readBodyLimited(res, 4096, url).catch(() => new Uint8Array())).slice(0, 200);
        throw new Error(`${url}: HTTP ${res.status} ${text}`.trim());
      }
      return readBodyLimited(res, maxBytes, url);
    },
  };
}
