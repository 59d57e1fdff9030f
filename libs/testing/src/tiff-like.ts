import { randomBytes } from 'node:crypto';

/** A little-endian classic TIFF header (one IFD entry) followed by random bytes, `size` bytes in all: a band-like
 * file whose header passes a TIFF check, for tests that move bytes without decoding them. */
export function tiffLike(size: number): Buffer {
  const b = randomBytes(size);
  b.write('II', 0, 'latin1');
  b.writeUInt16LE(42, 2);
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(1, 8);
  return b;
}
