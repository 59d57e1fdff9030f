// Ranged reads of a band file in a granule folder, in place, through one file handle.
import { open } from 'node:fs/promises';
import { BandSourceError, errorMessage } from './errors.ts';
import { rangesProblem, type ByteRange, type RangedBand } from './ranged.ts';

export async function openLocalRanged(path: string): Promise<RangedBand> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new BandSourceError('local', `${path}: ${errorMessage(e)}`, { cause: e });
  }
  const handle = fh;
  const size = (await handle.stat()).size;
  let read = 0;
  return {
    source: 'local',
    size,
    async read(ranges: readonly ByteRange[], signal?: AbortSignal): Promise<Uint8Array[]> {
      const bad = rangesProblem(ranges, size);
      if (bad) throw new BandSourceError('local', `${path}: ${bad}`);
      const out: Uint8Array[] = [];
      for (const r of ranges) {
        signal?.throwIfAborted();
        const buf = new Uint8Array(r.length);
        let got = 0;
        // A read may return fewer bytes than asked; a file cut short since it was opened ends at 0.
        while (got < r.length) {
          const { bytesRead } = await handle.read(buf, got, r.length - got, r.offset + got);
          if (bytesRead === 0) throw new BandSourceError('local', `${path}: ended at ${r.offset + got} bytes, reading ${r.offset}+${r.length} (the file shrank)`);
          got += bytesRead;
        }
        read += got;
        out.push(buf);
      }
      return out;
    },
    bytesRead: () => read,
    close: () => handle.close(),
  };
}
