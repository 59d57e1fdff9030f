// Band files already on disk in granule folders (`stac.type: directory`): used in place, never copied or
// imported. A band is found at its asset's file: href (the granule directory source sets one), else at
// `<dir>/<granule>/<filename>` for each configured folder; it must have the metadata's size (when known)
// and a readable TIFF header.
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BandAsset } from '@hls/contracts';
import { BandSourceError } from './errors.ts';
import { tiffHeaderProblem } from './tiff-header.ts';

export interface LocalBand {
  /** Absolute path of the band file, in place. */
  path: string;
  bytes: number;
}

/** Where a band may be on disk, in the order they are looked at. */
export function localCandidates(granuleId: string, asset: BandAsset, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const href = asset.href;
  if (href?.startsWith('file:')) out.push(fileURLToPath(href));
  else if (href && isAbsolute(href)) out.push(href);
  for (const d of dirs) out.push(join(d, granuleId, asset.filename));
  return [...new Set(out)];
}

export async function localBand(granuleId: string, asset: BandAsset, dirs: readonly string[]): Promise<LocalBand> {
  const candidates = localCandidates(granuleId, asset, dirs);
  if (candidates.length === 0) throw new BandSourceError('local', `${asset.filename}: no granule folder configured (stac.type: directory with stac.path) and no file: link`);
  const problems: string[] = [];
  for (const path of candidates) {
    let size: number;
    try {
      const s = await stat(path);
      if (!s.isFile()) {
        problems.push(`${path} is not a file`);
        continue;
      }
      size = s.size;
    } catch {
      problems.push(`${path} does not exist`);
      continue;
    }
    if (asset.size !== undefined && size !== asset.size) {
      problems.push(`${path} has ${size} bytes, the granule metadata says ${asset.size}`);
      continue;
    }
    const bad = await tiffHeaderProblem(path);
    if (bad) {
      problems.push(`${path}: ${bad}`);
      continue;
    }
    return { path, bytes: size };
  }
  throw new BandSourceError('local', problems.join('; '));
}
