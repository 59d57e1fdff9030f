// Checksums of the files we write, so a file corrupted in place (same size, flipped bytes) is never taken
// for a finished output: `<file>.sha256` next to it, in sha256sum's format (`sha256sum -c` checks it),
// written atomically after the file. No sidecar, or one that does not match, means "redo it".
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';

export const CHECKSUM_SUFFIX = '.sha256';
export const checksumPath = (path: string): string => `${path}${CHECKSUM_SUFFIX}`;

/** The hex SHA-256 of a file's bytes, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Hash `path` and write its sidecar atomically (the temp name is one the stale-temp sweep knows). */
export async function writeChecksum(path: string): Promise<string> {
  const hex = await sha256File(path);
  const side = checksumPath(path);
  const tmp = `${side}.${process.pid}.tmp`;
  await writeFile(tmp, `${hex}  ${basename(path)}\n`);
  await rename(tmp, side);
  return hex;
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
