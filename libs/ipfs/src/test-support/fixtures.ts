// Test fixtures: band-like files of chosen sizes in a temp dir, served by a local provider.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProvider, type Provider } from '../provider/provider.ts';
import type { FaultOptions } from '../provider/faults.ts';

export const CHUNK = 262_144;

export interface Fixture {
  root: string;
  dir: string;
  provider: Provider;
  /** Relative path -> original bytes. */
  originals: Map<string, Buffer>;
  cidOf(path: string): string;
  cleanup(): Promise<void>;
}

export async function withProvider(files: Record<string, number>, faults?: FaultOptions): Promise<Fixture> {
  const root = mkdtempSync(join(tmpdir(), 'hls-ipfs-'));
  const dir = join(root, 'served');
  const originals = new Map<string, Buffer>();
  mkdirSync(dir, { recursive: true });
  for (const [rel, size] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    const bytes = randomBytes(size);
    writeFileSync(p, bytes);
    originals.set(rel, bytes);
  }
  const provider = await startProvider({ dir, storeDir: join(root, 'blocks'), mappingFile: join(root, 'mapping.json'), faults });
  return {
    root,
    dir,
    provider,
    originals,
    cidOf(path: string): string {
      const f = provider.files.find((x) => x.path === path);
      if (!f) throw new Error(`fixture has no file ${path}`);
      return f.cid.toString();
    },
    async cleanup() {
      await provider.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export const GRANULE = 'HLS.S30.T15TVG.2022152T170851.v2.0';
export const bandFile = (granule: string, band: string): string => `${granule}/${granule}.${band}.tif`;
