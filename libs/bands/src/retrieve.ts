// `hls-chips retrieve`: every band file of tile_payloads.json from the band sources in order, with
// progress over all files. One band's failure never stops the others; each outcome says which source
// served it or why none could.
import { Limiter } from '@hls/common';
import { BANDS, GranuleIdSchema, type BandAsset, type BandSourceName } from '@hls/contracts';
import type { BandRef } from '@hls/ipfs';
import type { BandSources } from './sources.ts';

export interface RetrieveOutcome extends BandRef {
  /** Where the band is: the download under the dataset, or the file in place (local). */
  path: string;
  source?: BandSourceName;
  bytes?: number;
  /** Already there and verified (or used in place): nothing downloaded. */
  reused?: boolean;
  error?: string;
}

export interface RetrieveProgress {
  files: number;
  filesDone: number;
  /** Bytes in place over all files. */
  bytes: number;
  /** Sum of the sizes known so far (files whose size has been learnt). */
  knownTotal: number;
  filesSized: number;
}

/**
 * Retrieve every band of `refs`; `assets` (by file name) adds what the scenes know beyond the CID: the
 * https link, size and checksum.
 */
export async function retrieveAll(
  sources: BandSources,
  refs: readonly BandRef[],
  datasetDir: string,
  o: { assets?: ReadonlyMap<string, BandAsset>; onProgress?: (p: RetrieveProgress) => void; signal?: AbortSignal; filesAtOnce?: number } = {},
): Promise<RetrieveOutcome[]> {
  const files = new Limiter(o.filesAtOnce ?? 4);
  const bytes = new Map<number, number>();
  const totals = new Map<number, number>();
  let filesDone = 0;
  const emit = (): void => {
    let b = 0;
    let t = 0;
    for (const v of bytes.values()) b += v;
    for (const v of totals.values()) t += v;
    o.onProgress?.({ files: refs.length, filesDone, bytes: b, knownTotal: t, filesSized: totals.size });
  };
  const one = async (ref: BandRef, i: number): Promise<RetrieveOutcome> => {
    try {
      const granule = GranuleIdSchema.safeParse(ref.scene);
      const band = BANDS.find((b) => b === ref.band);
      // Ids become path parts: only a valid granule id and a known band make a path.
      if (!granule.success || !band) return { ...ref, path: '', error: `not a granule id and band: '${ref.scene}' '${ref.band}'` };
      const known = o.assets?.get(ref.filename);
      const asset: BandAsset = { ...known, band, filename: ref.filename, ...(ref.cid ? { cid: ref.cid } : {}) };
      const r = await sources.fetch({
        granuleId: granule.data,
        asset,
        datasetDir,
        ...(o.signal ? { signal: o.signal } : {}),
        onProgress: (n, total) => {
          bytes.set(i, n);
          if (total !== undefined) totals.set(i, total);
          emit();
        },
      });
      if (r.ok) return { ...ref, path: r.path, source: r.source, bytes: r.bytes, reused: r.reused };
      return { ...ref, path: '', error: r.tried.map((t) => `${t.source}: ${t.error}`).join('; ') };
    } finally {
      filesDone++;
      emit();
    }
  };
  return Promise.all(refs.map((ref, i) => files.run(() => one(ref, i))));
}
