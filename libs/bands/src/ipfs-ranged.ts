// Ranged reads of a band by CID: the fetcher's ranged file (only the verified blocks overlapping each
// range), with IPFS errors told as band source errors the way whole-file retrieval tells them.
import type { BandAsset, GranuleId } from '@hls/contracts';
import { BlockVerificationError, CidUnavailableError, UnsupportedDagError, type Fetcher } from '@hls/ipfs';
import { BandSourceError, errorMessage } from './errors.ts';
import { rangesProblem, type ByteRange, type RangedBand } from './ranged.ts';

/**
 * An IPFS failure as a BandSourceError: no backend reachable at all (or a failure of the transport) is
 * retryable and says nothing about the CID; a CID no backend has, a block that fails verification or a DAG
 * that is no file moves on to the next source. The message names the CID.
 */
export function ipfsBandError(e: unknown, cid: string): BandSourceError {
  if (e instanceof BandSourceError) return e;
  if (e instanceof CidUnavailableError && e.unreachable) return new BandSourceError('ipfs', `no IPFS backend reachable: ${e.message}`, { retryable: true, cause: e });
  if (e instanceof CidUnavailableError || e instanceof BlockVerificationError || e instanceof UnsupportedDagError) return new BandSourceError('ipfs', e.message, { cause: e });
  if (e instanceof RangeError) return new BandSourceError('ipfs', e.message, { cause: e });
  return new BandSourceError('ipfs', `${cid}: ${errorMessage(e)}`, { retryable: true, cause: e });
}

export async function openIpfsRanged(fetcher: Fetcher, granuleId: GranuleId, asset: BandAsset, signal?: AbortSignal): Promise<RangedBand> {
  const cid = asset.cid;
  if (!cid) throw new BandSourceError('ipfs', `${asset.filename}: the scene lists no CID for it`);
  const context = { granule: granuleId, band: asset.band };
  let file;
  try {
    file = await fetcher.openFile(cid, { context, ...(signal ? { signal } : {}) });
  } catch (e) {
    if (signal?.aborted) throw e;
    throw ipfsBandError(e, cid);
  }
  if (asset.size !== undefined && file.size !== asset.size) {
    throw new BandSourceError('ipfs', `${cid}: the file has ${file.size} bytes, the granule metadata says ${asset.size}`);
  }
  const opened = file;
  return {
    source: 'ipfs',
    size: opened.size,
    cid: opened.cid,
    async read(ranges: readonly ByteRange[], s?: AbortSignal): Promise<Uint8Array[]> {
      const bad = rangesProblem(ranges, opened.size);
      if (bad) throw new BandSourceError('ipfs', `${opened.cid}: ${bad}`);
      // One failed range ends the read: the others' block requests are cancelled.
      const inner = new AbortController();
      const all = s ? AbortSignal.any([s, inner.signal]) : inner.signal;
      try {
        // The ranges run at once; blocks they share are fetched once (the open file awaits a block in flight).
        return await Promise.all(
          ranges.map((r) =>
            opened.read(r.offset, r.length, all).catch((e: unknown) => {
              inner.abort(e);
              throw e;
            }),
          ),
        );
      } catch (e) {
        if (s?.aborted) throw e;
        throw ipfsBandError(e, opened.cid);
      }
    },
    bytesRead: () => opened.bytesFetched,
    close: async () => opened.close(),
  };
}
