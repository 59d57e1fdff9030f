// The original pipeline's CID helpers: grab CIDs for the selected tiles (tile_payloads.json), check each
// CID is retrievable (missing_cids.json). Retrieving the band files is @hls/bands' retrieveAll (any source).
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { parseCsv } from '@hls/common';
import { BANDS, bandFileName, type GranuleId } from '@hls/contracts';
import { mgrsTileId, parseTilePayloads, tilePayloadsJson } from '@hls/stac';
import type { TilePayloadScene } from '@hls/stac';
import { parseCid } from './cid.ts';
import { errorMessage } from './errors.ts';
import type { Fetcher } from './fetcher.ts';

/** One band file to retrieve; also a line of missing_cids.json. */
export interface BandRef {
  scene: string;
  band: string;
  filename: string;
  cid: string | null;
}

export interface GrabResult {
  payloads: TilePayloadScene[];
  /** Band files the mapping has no CID for. */
  missing: BandRef[];
  /** Rows of selected_tiles.csv that could not be read: named, never dropped silently. */
  problems: string[];
}

/**
 * grab_cids_from_selected_tiles: for every scene of selected_tiles.csv (columns title_id, tile_id, date)
 * look up its 7 band files in the filename -> CID mapping (@hls/stac readCidMappingFile).
 */
export function grabCids(selectedTilesCsv: string, mapping: ReadonlyMap<string, string>, source = 'selected_tiles.csv'): GrabResult {
  const rows = parseCsv(selectedTilesCsv);
  const header = rows[0] ?? [];
  const col = (name: string): number => header.indexOf(name);
  const [iScene, iTile, iDate] = [col('title_id'), col('tile_id'), col('date')];
  if (iScene < 0) throw new Error(`${source}: no title_id column (header: ${header.join(',')})`);
  const payloads: TilePayloadScene[] = [];
  const missing: BandRef[] = [];
  const problems: string[] = [];
  for (const [n, r] of rows.slice(1).entries()) {
    const scene = r[iScene] ?? '';
    if (!/^HLS\.[SL]30\.T\d{2}[A-Z]{3}\.\d{7}T\d{6}\.v\d+\.\d+$/.test(scene)) {
      problems.push(`${source} row ${n + 2}: '${scene}' is not an HLS granule id`);
      continue;
    }
    const bands = BANDS.map((band) => {
      const filename = bandFileName(scene as GranuleId, band);
      const cid = mapping.get(filename) ?? null;
      if (cid === null) missing.push({ scene, band, filename, cid });
      return { band_name: band, filename, cid };
    });
    payloads.push({ title_id: scene, tile_id: iTile >= 0 ? mgrsTileId(r[iTile] ?? '') : '', date: iDate >= 0 ? (r[iDate] ?? '') : '', bands });
  }
  return { payloads, missing, problems };
}

/** tile_payloads.json in the original's shape (keyed by granule id) or the list earlier versions wrote. */
export async function readTilePayloads(path: string): Promise<TilePayloadScene[]> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: ${errorMessage(e)}`);
  }
  return parseTilePayloads(data, path);
}

export const bandRefs = (payloads: readonly TilePayloadScene[]): BandRef[] =>
  payloads.flatMap((s) => s.bands.map((b) => ({ scene: s.title_id, band: b.band_name, filename: b.filename, cid: b.cid })));

export interface CheckOutcome extends BandRef {
  available: boolean;
  reason?: string;
}

/**
 * check_ipfs_content_retrievability: ask the backends for each CID's root block (verified), with the
 * fetcher's timeout and retries; missing ones are appended to `missingFile` as JSON lines as they are found.
 */
export async function checkCids(
  fetcher: Fetcher,
  refs: readonly BandRef[],
  o: { missingFile?: string; onResult?: (r: CheckOutcome) => void } = {},
): Promise<CheckOutcome[]> {
  if (o.missingFile) await writeFile(o.missingFile, '');
  const record = async (r: CheckOutcome): Promise<CheckOutcome> => {
    if (!r.available && o.missingFile) {
      await appendFile(o.missingFile, `${JSON.stringify({ scene: r.scene, band: r.band, filename: r.filename, cid: r.cid })}\n`);
    }
    o.onResult?.(r);
    return r;
  };
  return Promise.all(
    refs.map(async (ref): Promise<CheckOutcome> => {
      if (!ref.cid) return record({ ...ref, available: false, reason: 'no CID' });
      try {
        await fetcher.getBlock(parseCid(ref.cid), { root: ref.cid, context: { granule: ref.scene, band: ref.band } });
        return record({ ...ref, available: true });
      } catch (e) {
        return record({ ...ref, available: false, reason: errorMessage(e) });
      }
    }),
  );
}

export async function writeTilePayloads(path: string, payloads: readonly TilePayloadScene[]): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, tilePayloadsJson(payloads));
  await rename(tmp, path);
}
