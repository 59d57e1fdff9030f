// The software that wrote the dataset: the monorepo's name and version (its root package.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Software {
  name: string;
  version: string;
}

let cached: Software | undefined;

export function software(): Software {
  if (cached) return cached;
  try {
    const p = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'package.json'), 'utf8')) as { name?: string; version?: string };
    cached = { name: p.name ?? 'hls-crop-chips', version: p.version ?? 'unknown' };
  } catch {
    // Installed without the workspace root (an image that copies only the libs): say so rather than guess.
    cached = { name: 'hls-crop-chips', version: 'unknown' };
  }
  return cached;
}
