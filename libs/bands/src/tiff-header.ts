// A readable TIFF header: byte order, magic (42 classic, 43 BigTIFF), first IFD inside the file with a
// non-empty entry table that fits. Cheap (two small reads), so a local band is checked without decoding.
import { open } from 'node:fs/promises';

/** Undefined when `path` starts like a readable TIFF, else what is wrong (one line). */
export async function tiffHeaderProblem(path: string): Promise<string | undefined> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(16);
    const { bytesRead } = await fh.read(head, 0, 16, 0);
    if (bytesRead < 8) return `${size} bytes is too short for a TIFF header`;
    const order = head.toString('latin1', 0, 2);
    if (order !== 'II' && order !== 'MM') return 'not a TIFF (no II/MM byte order mark)';
    const le = order === 'II';
    const u16 = (b: Buffer, at: number): number => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
    const magic = u16(head, 2);
    if (magic !== 42 && magic !== 43) return `not a TIFF (magic ${magic}, expected 42 or 43)`;
    const big = magic === 43;
    if (big && bytesRead < 16) return 'BigTIFF header cut short';
    const ifd = big ? Number(le ? head.readBigUInt64LE(8) : head.readBigUInt64BE(8)) : le ? head.readUInt32LE(4) : head.readUInt32BE(4);
    const countSize = big ? 8 : 2;
    if (ifd < 8 || ifd + countSize > size) return `first IFD offset ${ifd} is outside the ${size}-byte file`;
    const c = Buffer.alloc(countSize);
    await fh.read(c, 0, countSize, ifd);
    const entries = big ? Number(le ? c.readBigUInt64LE(0) : c.readBigUInt64BE(0)) : u16(c, 0);
    const end = ifd + countSize + entries * (big ? 20 : 12) + (big ? 8 : 4);
    if (entries === 0) return 'first IFD has no entries';
    if (end > size) return `first IFD (${entries} entries) runs past the end of the ${size}-byte file`;
    return undefined;
  } finally {
    await fh.close();
  }
}
