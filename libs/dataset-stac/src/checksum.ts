// file:checksum as the file extension specifies it: a multihash in hex. Ours is SHA2-256: code 0x12,
// digest length 0x20, then the digest.
import { stat } from 'node:fs/promises';
import { sha256File } from '@hls/raster';

export const SHA2_256_MULTIHASH_PREFIX = '1220';

/** `1220<64 hex digits>` from a SHA-256 hex digest. */
export function sha256Multihash(hexDigest: string): string {
  if (!/^[0-9a-f]{64}$/.test(hexDigest)) throw new Error(`not a SHA-256 hex digest: ${hexDigest}`);
  return SHA2_256_MULTIHASH_PREFIX + hexDigest;
}

export interface FileFacts {
  'file:checksum': string;
  'file:size': number;
}

/** The file extension's fields of a file on disk. */
export async function fileFacts(path: string): Promise<FileFacts> {
  const [digest, st] = await Promise.all([sha256File(path), stat(path)]);
  return { 'file:checksum': sha256Multihash(digest), 'file:size': st.size };
}
