// A local granule directory: what users with data already on disk, the tests and the demo use.
//
//   DIR/
//     <granuleId>/                      one folder per granule, e.g. HLS.S30.T15TVG.2022152T170851.v2.0/
//       <granuleId>.cmr.xml             ECHO10 metadata (required)
//       <granuleId>.<band>.tif          band files B02 B03 B04 B8A B11 B12 Fmask (optional)
//     filename_to_cid_mapping.json      optional easierdata mapping [{"filename", "cid"}] of band files
//
// Other files and folders are ignored; a granule folder without its .cmr.xml is reported.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BANDS, GRANULE_ID_PATTERN, parseGranuleId } from '@hls/contracts';
import type { Band } from '@hls/contracts';
import { applyCidMapping, parseCidMappingJson } from './cids.ts';
import type { CidMapping } from './cids.ts';
import { readEcho10 } from './echo10.ts';
import { MetadataError, errorMessage } from './errors.ts';
import { bboxesOverlap, geometryBbox, inInterval, parseInterval } from './filters.ts';
import type { GranuleMetadata, ReadResult } from './granule.ts';
import { productBandSuffix } from './granule.ts';
import type { SceneSource, SearchParams } from './source.ts';

export const CID_MAPPING_FILE = 'filename_to_cid_mapping.json';

export interface GranuleEntry {
  granuleId: string;
  /** STAC collection id: HLSS30_2.0 / HLSL30_2.0. */
  collection: string;
  dir: string;
  xmlPath: string;
  /** Band files present on disk. */
  bandFiles: Partial<Record<Band, string>>;
}

export function collectionOf(granuleId: string): string {
  const p = parseGranuleId(granuleId);
  return `HLS${p.product}_${p.version}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** List the granule folders of DIR (sorted by granule id) and folders that lack their .cmr.xml. */
export async function scanGranuleDir(dir: string): Promise<{ entries: GranuleEntry[]; problems: MetadataError[] }> {
  let list;
  try {
    list = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new MetadataError(dir, `cannot read the granule directory: ${errorMessage(e)}`, { cause: e });
  }
  const names = list.filter((d) => d.isDirectory() && GRANULE_ID_PATTERN.test(d.name)).map((d) => d.name).sort();
  const entries: GranuleEntry[] = [];
  const problems: MetadataError[] = [];
  for (const g of names) {
    const gdir = join(dir, g);
    const xmlPath = join(gdir, `${g}.cmr.xml`);
    if (!(await exists(xmlPath))) {
      problems.push(new MetadataError(gdir, `granule folder has no ${g}.cmr.xml`, { granuleId: g, field: 'cmr.xml' }));
      continue;
    }
    const bandFiles: Partial<Record<Band, string>> = {};
    for (const band of BANDS) {
      const p = join(gdir, `${g}.${productBandSuffix(g, band)}.tif`);
      if (await exists(p)) bandFiles[band] = p;
    }
    entries.push({ granuleId: g, collection: collectionOf(g), dir: gdir, xmlPath, bandFiles });
  }
  return { entries, problems };
}

/** The directory's CID mapping, if it has one. */
export async function loadDirCidMapping(dir: string): Promise<CidMapping | undefined> {
  const path = join(dir, CID_MAPPING_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  return parseCidMappingJson(text, path);
}

/** Does a granule's record match a search (collection, datetime, intersects)? */
export function matchesSearch(meta: GranuleMetadata, collection: string, params: SearchParams): boolean {
  if (params.collections.length > 0 && !params.collections.includes(collection)) return false;
  const when = meta.sensingTime ?? `${parseGranuleId(meta.granuleId).date}T12:00:00Z`;
  if (!inInterval(when, parseInterval(params.datetime))) return false;
  if (params.intersects && meta.footprint) {
    const a = geometryBbox(params.intersects);
    const b = geometryBbox({ type: 'Polygon', coordinates: [meta.footprint] });
    if (a && b && !bboxesOverlap(a, b)) return false;
  }
  return true;
}

export class GranuleDirectorySource implements SceneSource {
  readonly name: string;
  readonly #dir: string;
  constructor(dir: string) {
    this.#dir = dir;
    this.name = dir;
  }

  async fetchText(href: string): Promise<string> {
    return readFile(href.startsWith('file:') ? fileURLToPath(href) : href, 'utf8');
  }

  async search(params: SearchParams): Promise<ReadResult> {
    const { entries, problems } = await scanGranuleDir(this.#dir);
    const out: ReadResult = { records: [], problems };
    let mapping: CidMapping | undefined;
    try {
      mapping = await loadDirCidMapping(this.#dir);
    } catch (e) {
      out.problems.push(e instanceof MetadataError ? e : new MetadataError(this.#dir, errorMessage(e)));
    }
    for (const e of entries) {
      try {
        const meta = readEcho10(await readFile(e.xmlPath, 'utf8'), e.xmlPath);
        if (meta.granuleId !== e.granuleId) throw new MetadataError(e.xmlPath, `GranuleUR ${meta.granuleId} does not match its folder ${e.granuleId}`, { granuleId: e.granuleId });
        if (!matchesSearch(meta, e.collection, params)) continue;
        for (const [band, path] of Object.entries(e.bandFiles) as [Band, string][]) {
          const b = (meta.bands[band] ??= { filename: path.slice(path.lastIndexOf('/') + 1) });
          b.href ??= pathToFileURL(path).toString();
        }
        out.records.push(mapping ? applyCidMapping(meta, mapping) : meta);
      } catch (err) {
        out.problems.push(err instanceof MetadataError ? err.forGranule(e.granuleId) : new MetadataError(e.xmlPath, errorMessage(err), { granuleId: e.granuleId }));
      }
      if (params.maxItems !== undefined && out.records.length >= params.maxItems) break;
    }
    return out;
  }
}
