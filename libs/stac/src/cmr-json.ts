// The legacy CMR JSON feed (`granules.json`): entries carry cloud_cover and links but no spatial
// coverage, so a scene needs the entry's `.cmr.xml` (its metadata# link) as well.
import { MetadataError } from './errors.ts';
import { addBandLink, newGranule, percent } from './granule.ts';
import type { GranuleMetadata, ReadResult } from './granule.ts';
import { readEach } from './granule.ts';
import { arr, isObj, str } from './json-util.ts';

export function readCmrJsonEntry(entry: unknown, source: string): GranuleMetadata {
  if (!isObj(entry)) throw new MetadataError(source, 'CMR JSON entry is not an object');
  const granuleId = (str(entry.title) ?? str(entry.producer_granule_id))?.trim();
  if (!granuleId) throw new MetadataError(source, 'missing title (granule id)', { field: 'title' });
  const meta = newGranule(granuleId, 'cmr-json', source);
  meta.cloudCover = percent(entry.cloud_cover, source, granuleId, 'cloud_cover');
  const start = str(entry.time_start);
  if (start !== undefined) {
    if (Number.isNaN(Date.parse(start))) throw new MetadataError(source, `time_start is not a time: ${JSON.stringify(start)}`, { granuleId, field: 'time_start' });
    meta.sensingTime = start;
  }
  for (const l of arr(entry.links)) {
    const href = isObj(l) ? str(l.href) : undefined;
    if (href) addBandLink(meta, href);
  }
  return meta;
}

/** Every entry of a `granules.json` feed; an empty `entry` list is the end of the results. */
export function readCmrJsonFeed(doc: unknown, source: string): ReadResult {
  const feed = isObj(doc) && isObj(doc.feed) ? doc.feed : undefined;
  if (!feed || !Array.isArray(feed.entry)) throw new MetadataError(source, 'not a CMR JSON feed (no feed.entry array)');
  return readEach(feed.entry, (e, i) => readCmrJsonEntry(e, `${source}#feed.entry[${i}]`));
}
