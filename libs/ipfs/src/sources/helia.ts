// Embedded Helia node dialing configured peers over bitswap: not available in this build yet.
import type { BlockSource } from './types.ts';

export async function heliaSource(peers: readonly string[]): Promise<BlockSource> {
  throw new Error(`the helia backend (bitswap peers ${peers.join(', ')}) is not available in this build: use a kubo or gateway backend`);
}
