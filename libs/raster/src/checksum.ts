// Checksums of the files we write, so a file corrupted in place (same size, flipped bytes) is never taken
// for a finished output: `<file>.sha256` next to it, in sha256sum's format (`sha256sum -c` checks it),
// written atomically after the file. No sidecar, or one that does not match, means "redo it".
import { createHash } from 'node:crypto';
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';

export const CHECKSUM_SUFFIX = '.sha256';
export const checksumPath = (path: string): string => `${path}${CHECKSUM_SUFFIX}`;

/** Largest piece of a file hashed at once. */
const HASH_READ_BYTES = 1 << 20;

/**
 * The hex SHA-256 of a file's bytes, read in pieces of up to 1 MiB into one buffer (a read stream's 64 KiB
 * chunks and stream machinery cost more than the hashing of a chip's files).
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(HASH_READ_BYTES, (await fh.stat()).size)));
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/**
 * Write the sidecar of `path` atomically (the temp name is one the stale-temp sweep knows): `sha256` is the hash
 * of the bytes just written (writeGeoTiff gives it, so the file is not read back).
 */
export async function writeChecksum(path: string, sha256: string): Promise<string> {
  const side = checksumPath(path);
  const tmp = `${side}.${process.pid}.tmp`;
  await writeFile(tmp, `${sha256}  ${basename(path)}\n`);
  await rename(tmp, side);
  return sha256;
}

/** True when `path` and its sidecar are both there and the file's bytes hash to what the sidecar says. */
export async function hasValidChecksum(path: string): Promise<boolean> {
  try {
    const want = /^([0-9a-f]{64}) /.exec(await readFile(checksumPath(path), 'utf8'))?.[1];
    return want !== undefined && (await sha256File(path)) === want;
  } catch {
    return false;
  }
}
