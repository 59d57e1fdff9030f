// File checksums as granule metadata names them (ECHO10/UMM-G `Algorithm`: SHA512, SHA-256, MD5, ...).
import { createHash, getHashes } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Node's hash name for a metadata algorithm name, or undefined when Node has none. */
export function hashName(algorithm: string): string | undefined {
  const n = algorithm.toLowerCase().replace(/[^a-z0-9]/g, '');
  return getHashes().includes(n) ? n : undefined;
}

/** Hex digest of a file. */
export async function hashFile(path: string, hash: string): Promise<string> {
  const h = createHash(hash);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}
