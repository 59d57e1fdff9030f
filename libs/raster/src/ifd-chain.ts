// The chain of image file directories (IFDs) of a TIFF, walked by their headers only. geotiff.js follows
// next-IFD offsets without looking back, so an offset that points to its own IFD or an earlier one makes
// it count images forever (issue 15: 114 s, then V8 out of memory). We walk the chain first and refuse
// loops, offsets outside the file and absurdly long chains in one line.
import { HlsError } from '@hls/common';
import { LIMITS } from '@hls/contracts/domain';
import type { GeoTIFF } from 'geotiff';

/** A corrupt IFD chain: the file will not get better. */
export class IfdChainError extends HlsError {
  constructor(message: string) {
    super('ifd-chain', message, { retryable: false });
  }
}

/**
 * The number of IFDs (main image, overviews, masks) of `tiff`. Throws IfdChainError when the chain loops,
 * leaves the file (`fileSize` when known) or is longer than `maxImages`.
 */
export async function countIfds(tiff: GeoTIFF, fileSize: number | null, maxImages: number = LIMITS.maxTiffImages, signal?: AbortSignal): Promise<number> {
  const big = tiff.bigTiff;
  const le = tiff.littleEndian;
  const countSize = big ? 8 : 2;
  const entrySize = big ? 20 : 12;
  const offsetSize = big ? 8 : 4;
  const read = async (offset: number, length: number): Promise<DataView> => {
    const [buf] = await tiff.source.fetch([{ offset, length }], signal);
    if (!buf || buf.byteLength < length) throw new IfdChainError(`IFD chain: cannot read ${length} bytes at byte ${offset} (past the end of the file?)`);
    return new DataView(buf as ArrayBuffer, 0, length);
  };
  const uint = (v: DataView, at: number, size: number): number => (size === 8 ? Number(v.getBigUint64(at, le)) : size === 4 ? v.getUint32(at, le) : v.getUint16(at, le));

  const seen = new Set<number>();
  let offset = tiff.firstIFDOffset;
  let previous: number | null = null;
  while (offset !== 0) {
    const from = previous === null ? 'the header' : `the IFD at byte ${previous}`;
    if (seen.has(offset)) throw new IfdChainError(`IFD chain loops: ${from} points back to the IFD at byte ${offset}`);
    if (seen.size >= maxImages) throw new IfdChainError(`IFD chain has more than ${maxImages} images`);
    if (offset < 8 || (fileSize !== null && offset + countSize > fileSize)) {
      throw new IfdChainError(`IFD chain: ${from} points to byte ${offset}, outside the ${fileSize ?? '?'}-byte file`);
    }
    seen.add(offset);
    const entries = uint(await read(offset, countSize), 0, countSize);
    const nextAt = offset + countSize + entries * entrySize;
    if (fileSize !== null && nextAt + offsetSize > fileSize) {
      throw new IfdChainError(`IFD at byte ${offset} claims ${entries} entries, more than the ${fileSize}-byte file holds`);
    }
    previous = offset;
    offset = uint(await read(nextAt, offsetSize), 0, offsetSize);
  }
  return seen.size;
}
