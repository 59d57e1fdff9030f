// One entry point for any metadata document: ECHO10 XML, UMM-G (record or search results), a CMR JSON
// feed, a STAC item or an ItemCollection. The shape is recognised from the content, not the file name.
import { readFile } from 'node:fs/promises';
import { readCmrJsonFeed } from './cmr-json.ts';
import { readEcho10 } from './echo10.ts';
import { MetadataError } from './errors.ts';
import type { ReadResult } from './granule.ts';
import { readEach } from './granule.ts';
import { isObj } from './json-util.ts';
import { readStacItem } from './stac-item.ts';
import { readUmmG, readUmmGSearch } from './ummg.ts';

export function readMetadataText(text: string, source: string): ReadResult {
  const body = text.replace(/^\uFEFF/, '').trimStart();
  if (body.startsWith('<')) return { records: [readEcho10(text, source)], problems: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    throw new MetadataError(source, `neither XML nor valid JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (!isObj(doc)) throw new MetadataError(source, 'JSON document is not an object');
  if (isObj(doc.feed)) return readCmrJsonFeed(doc, source);
  if (Array.isArray(doc.items) && 'hits' in doc) return readUmmGSearch(doc, source);
  if (isObj(doc.umm) || typeof doc.GranuleUR === 'string') return { records: [readUmmG(doc, source)], problems: [] };
  if (doc.type === 'Feature') return { records: [readStacItem(doc, source)], problems: [] };
  if (doc.type === 'FeatureCollection' && Array.isArray(doc.features)) {
    return readEach(doc.features, (f, i) => readStacItem(f, `${source}#features[${i}]`));
  }
  if (doc.type === 'Collection' || doc.type === 'Catalog') throw new MetadataError(source, `a STAC ${String(doc.type)}, not a granule document`);
  throw new MetadataError(source, 'unrecognised metadata document (expected ECHO10 XML, UMM-G, a CMR JSON feed or a STAC item)');
}

export async function readMetadataFile(path: string): Promise<ReadResult> {
  return readMetadataText(await readFile(path, 'utf8'), path);
}
