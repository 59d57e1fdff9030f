// Filename -> CID mappings: easierdata's `filename_to_cid_mapping.json` (`[{filename, cid}]`) and the
// derived dashboard GeoJSON (features with properties.filename / properties.cid). The one reader of
// mapping files in the workspace (libs/ipfs writes them).
import { readFile } from 'node:fs/promises';
import { BANDS } from '@hls/contracts';
import { MetadataError, errorMessage } from './errors.ts';
import type { GranuleMetadata } from './granule.ts';
import { productBandSuffix } from './granule.ts';
import { arr, isObj, str } from './json-util.ts';

/** CIDv0 (Qm..., base58btc, 46 chars) or CIDv1 in base32 (b...). */
const CID_PATTERN = /^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{50,})$/;
export const isCid = (s: string): boolean => CID_PATTERN.test(s);

export type CidMapping = Map<string, string>;

/** Parse a mapping document; a bad entry is an error naming its index (a mapping must be trusted whole). */
export function readCidMapping(doc: unknown, source: string): CidMapping {
  const rows: unknown[] = Array.isArray(doc)
    ? doc
    : isObj(doc) && doc.type === 'FeatureCollection'
      ? arr(doc.features).map((f) => (isObj(f) ? f.properties : undefined))
      : isObj(doc) && !Array.isArray(doc)
        ? Object.entries(doc).map(([filename, cid]) => ({ filename, cid }))
        : [];
  if (rows.length === 0) throw new MetadataError(source, 'no filename/cid entries (expected [{"filename","cid"}], a {filename: cid} object or a FeatureCollection)');
  const map: CidMapping = new Map();
  rows.forEach((r, i) => {
    const filename = isObj(r) ? str(r.filename) : undefined;
    const cid = isObj(r) ? str(r.cid) : undefined;
    if (!filename || !cid) throw new MetadataError(source, `entry ${i} lacks a string filename and cid`, { field: `[${i}]` });
    if (!isCid(cid)) throw new MetadataError(source, `entry ${i} (${filename}): ${JSON.stringify(cid)} is not a CID`, { field: `[${i}].cid` });
    const prev = map.get(filename);
    if (prev !== undefined && prev !== cid) throw new MetadataError(source, `entry ${i}: ${filename} maps to two CIDs (${prev}, ${cid})`, { field: `[${i}].cid` });
    map.set(filename, cid);
  });
  return map;
}

/** Parse a mapping file's text; errors name the file. */
export function parseCidMappingJson(text: string, source: string): CidMapping {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new MetadataError(source, `not valid JSON: ${errorMessage(e)}`, { cause: e });
  }
  return readCidMapping(doc, source);
}

/** Read a mapping file (any of the three formats). */
export async function readCidMappingFile(path: string): Promise<CidMapping> {
  return parseCidMappingJson(await readFile(path, 'utf8'), path);
}

/** Fill band CIDs a record lacks from a mapping (by band file name); CIDs already present win. */
export function applyCidMapping(meta: GranuleMetadata, mapping: CidMapping): GranuleMetadata {
  for (const band of BANDS) {
    const b = meta.bands[band];
    const filename = b?.filename ?? `${meta.granuleId}.${productBandSuffix(meta.granuleId, band)}.tif`;
    const cid = mapping.get(filename);
    if (!cid) continue;
    if (b) b.cid ??= cid;
    else meta.bands[band] = { filename, cid };
  }
  return meta;
}
