// UMM-G JSON (CMR `granules.umm_json` results or one `.umm_json` record).
import { MetadataError } from './errors.ts';
import { addBandFile, addBandLink, newGranule, percent } from './granule.ts';
import type { GranuleMetadata, ReadResult } from './granule.ts';
import { readEach } from './granule.ts';
import { arr, isObj, str } from './json-util.ts';

/** Read one UMM-G record (`{meta, umm}` as in search results, or the bare `umm` object). */
export function readUmmG(record: unknown, source: string): GranuleMetadata {
  const umm = isObj(record) && isObj(record.umm) ? record.umm : record;
  if (!isObj(umm)) throw new MetadataError(source, 'UMM-G record is not an object');
  const granuleId = str(umm.GranuleUR)?.trim();
  if (!granuleId) throw new MetadataError(source, 'missing GranuleUR', { field: 'GranuleUR' });
  const meta = newGranule(granuleId, 'umm-g', source);
  const attrs = new Map<string, unknown[]>();
  for (const a of arr(umm.AdditionalAttributes)) {
    if (isObj(a) && typeof a.Name === 'string') attrs.set(a.Name, arr(a.Values));
  }
  const one = (name: string): unknown => {
    const v = attrs.get(name);
    if (v === undefined) return undefined;
    if (v.length === 0) throw new MetadataError(source, `AdditionalAttribute ${name} has no value`, { granuleId, field: name });
    return v[0];
  };
  meta.cloudCover = percent(one('CLOUD_COVERAGE') ?? umm.CloudCover, source, granuleId, 'CLOUD_COVERAGE');
  meta.spatialCoverage = percent(one('SPATIAL_COVERAGE'), source, granuleId, 'SPATIAL_COVERAGE');
  const tile = one('MGRS_TILE_ID');
  if (tile !== undefined) {
    if (typeof tile !== 'string') throw new MetadataError(source, `MGRS_TILE_ID must be a string, got ${JSON.stringify(tile)}`, { granuleId, field: 'MGRS_TILE_ID' });
    meta.tileId = tile;
  }
  const sensing = one('SENSING_TIME');
  if (sensing !== undefined) {
    if (typeof sensing !== 'string' || Number.isNaN(Date.parse(sensing))) {
      throw new MetadataError(source, `SENSING_TIME is not a time: ${JSON.stringify(sensing)}`, { granuleId, field: 'SENSING_TIME' });
    }
    meta.sensingTime = sensing;
  }
  // Sizes and checksums: ArchiveAndDistributionInformation entries, or their Files (UMM-G 1.6).
  const dg = isObj(umm.DataGranule) ? umm.DataGranule : undefined;
  for (const a of arr(dg?.ArchiveAndDistributionInformation)) {
    if (!isObj(a)) continue;
    for (const f of [a, ...arr(a.Files)]) {
      if (!isObj(f)) continue;
      const name = str(f.Name);
      if (!name) continue;
      const size = typeof f.SizeInBytes === 'number' ? f.SizeInBytes : undefined;
      const ck = isObj(f.Checksum) ? f.Checksum : undefined;
      const value = ck ? str(ck.Value) : undefined;
      const algorithm = ck ? str(ck.Algorithm) : undefined;
      addBandFile(meta, name, size, value && algorithm ? { algorithm, value } : undefined);
    }
  }
  for (const u of arr(umm.RelatedUrls)) {
    const url = isObj(u) ? str(u.URL) : undefined;
    if (url) addBandLink(meta, url);
  }
  return meta;
}

/** Read every record of a `granules.umm_json` search response. */
export function readUmmGSearch(doc: unknown, source: string): ReadResult {
  if (!isObj(doc) || !Array.isArray(doc.items)) throw new MetadataError(source, 'not a UMM-G search response (no items array)');
  return readEach(doc.items, (it, i) => readUmmG(it, `${source}#items[${i}]`));
}
