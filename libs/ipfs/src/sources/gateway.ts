// Trustless gateway source: GET /ipfs/<cid>?format=raw with Accept: application/vnd.ipld.raw returns one
// block, which the caller verifies (the gateway is not trusted). Ranged reads: GET /ipfs/<root>?format=car
// &dag-scope=entity&entity-bytes=from:to returns, in one CAR, the blocks needed to verify and read that
// byte range of the file; the caller verifies every one of them too.
import { CarReader } from '@ipld/car/reader';
import type { CID } from 'multiformats/cid';
import { errorMessage } from '@hls/common';
import { readBodyLimited } from './bounded-body.ts';
import { BlockMissingError, RangeUnsupportedError, type BlockSource, type RangeBlocks } from './types.ts';

export const RAW_BLOCK_MEDIA_TYPE = 'application/vnd.ipld.raw';
export const CAR_MEDIA_TYPE = 'application/vnd.ipld.car';
/** Depth first, no duplicates: what a ranged read wants (any order would do, every block is checked). */
const CAR_RANGE_ACCEPT = `${CAR_MEDIA_TYPE}; version=1; order=dfs; dups=n`;
/** Answers of a gateway that does not do ranged CARs (bad request, not acceptable, not implemented). */
const NO_RANGES = new Set([400, 405, 406, 415, 501]);

async function errorText(res: Response, url: string): Promise<string> {
  return new TextDecoder().decode(await readBodyLimited(res, 4096, url).catch(() => new Uint8Array())).slice(0, 200).trim();
}

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
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await errorText(res, url)}`.trim());
      return readBodyLimited(res, maxBytes, url);
    },
    async getRange(root: CID, range: { from: number; to: number | '*' }, signal: AbortSignal, maxBytes: number): Promise<RangeBlocks> {
      const url = `${base}/ipfs/${root.toString()}?format=car&dag-scope=entity&entity-bytes=${range.from}:${range.to}`;
      const res = await fetch(url, { headers: { accept: CAR_RANGE_ACCEPT }, signal });
      if (res.status === 404 || res.status === 410) {
        await res.body?.cancel();
        throw new BlockMissingError(`${url}: HTTP ${res.status} (not found)`);
      }
      if (NO_RANGES.has(res.status)) throw new RangeUnsupportedError(`${url}: HTTP ${res.status} ${await errorText(res, url)}`.trim());
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await errorText(res, url)}`.trim());
      const type = res.headers.get('content-type') ?? '';
      if (!type.toLowerCase().startsWith(CAR_MEDIA_TYPE)) {
        await res.body?.cancel();
        throw new RangeUnsupportedError(`${url}: answered ${type || 'without a content type'}, not a CAR`);
      }
      const body = await readBodyLimited(res, maxBytes, url, "the range's");
      const blocks: RangeBlocks['blocks'] = [];
      try {
        const car = await CarReader.fromBytes(body);
        for await (const b of car.blocks()) blocks.push({ cid: b.cid, bytes: b.bytes });
      } catch (e) {
        throw new RangeUnsupportedError(`${url}: the answer is not a CAR: ${errorMessage(e)}`);
      }
      return { url, blocks };
    },
  };
}
