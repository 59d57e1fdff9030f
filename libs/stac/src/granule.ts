// What every metadata reader produces: a granule record that may lack fields (a CMR-STAC item has no
// spatial coverage, a producer-side .cmr.xml has no links). Records from several documents of the same
// granule are merged, then toScene checks that everything the pipeline needs is there.
import { BANDS, GranuleIdSchema, SceneSchema, TileIdSchema, bandFileName, parseGranuleId } from '@hls/contracts';
import type { Band, BandAsset, GranuleId, Scene } from '@hls/contracts';
import { MetadataError } from './errors.ts';

export type MetadataFormat = 'echo10' | 'umm-g' | 'cmr-json' | 'stac-item';

export interface GranuleMetadata {
  granuleId: string;
  format: MetadataFormat;
  /** File path or URL the record was read from. */
  source: string;
  tileId?: string;
  sensingTime?: string;
  cloudCover?: number;
  spatialCoverage?: number;
  /** Band links found, keyed by the pipeline's band name. */
  bands: Partial<Record<Band, Omit<BandAsset, 'band'>>>;
  /** Footprint as a closed [lon, lat] ring, when the document has one. */
  footprint?: [number, number][];
  /** Links to the granule's ECHO10 `.cmr.xml` (https first, then s3). */
  metadataLinks: string[];
}

// HLS L30 uses Landsat band numbers; these are the L30 files that match the S30 bands the pipeline uses
// (HLS v2.0 user guide, table of harmonised bands). The rest have the same number in both products.
const L30_BAND_FILES: Partial<Record<Band, string>> = { B8A: 'B05', B11: 'B06', B12: 'B07' };

/** The band file suffix a granule's product uses for a pipeline band (`B8A` is `B05` in L30). */
export function productBandSuffix(granuleId: string, band: Band): string {
  return granuleId.startsWith('HLS.L30.') ? (L30_BAND_FILES[band] ?? band) : band;
}

/** The pipeline band a file of this granule holds, or undefined (B01, angles, browse...). */
export function bandOfFile(granuleId: string, filename: string): Band | undefined {
  if (!filename.startsWith(`${granuleId}.`) || !filename.endsWith('.tif')) return undefined;
  const suffix = filename.slice(granuleId.length + 1, -'.tif'.length);
  return BANDS.find((b) => productBandSuffix(granuleId, b) === suffix);
}

/** The last path segment of a URL or path, without query or fragment. */
export function fileNameOf(href: string): string {
  const noQuery = href.split(/[?#]/, 1)[0] ?? '';
  return noQuery.slice(noQuery.lastIndexOf('/') + 1);
}

/** Put an https or s3 link on the band it belongs to; other links (B01, browse, _stac.json) are ignored. */
export function addBandLink(meta: GranuleMetadata, href: string, cid?: string): void {
  const file = fileNameOf(href);
  const band = bandOfFile(meta.granuleId, file);
  if (!band) {
    if (file === `${meta.granuleId}.cmr.xml` && !meta.metadataLinks.includes(href)) meta.metadataLinks.push(href);
    return;
  }
  const entry = (meta.bands[band] ??= { filename: file });
  if (/^s3:\/\//i.test(href)) entry.s3 ??= href;
  else if (/^https?:\/\//i.test(href)) entry.href ??= href;
  if (cid) entry.cid ??= cid;
}

/**
 * Size and checksum of a band file as the granule metadata lists them (ECHO10 DataGranule/AdditionalFile,
 * UMM-G DataGranule/ArchiveAndDistributionInformation); files that are not pipeline bands are ignored.
 */
export function addBandFile(meta: GranuleMetadata, name: string, size: number | undefined, checksum: { algorithm: string; value: string } | undefined): void {
  const band = bandOfFile(meta.granuleId, name);
  if (!band) return;
  const entry = (meta.bands[band] ??= { filename: name });
  if (size !== undefined && Number.isSafeInteger(size) && size >= 0) entry.size ??= size;
  if (checksum && checksum.algorithm && checksum.value) entry.checksum ??= checksum;
}

export function newGranule(granuleId: string, format: MetadataFormat, source: string): GranuleMetadata {
  return { granuleId, format, source, bands: {}, metadataLinks: [] };
}

/** A percentage field: a finite number 0..100 (strings holding one are accepted, as CMR sends them). */
export function percent(value: unknown, source: string, granuleId: string, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 100) {
    throw new MetadataError(source, `${field} must be a number from 0 to 100, got ${JSON.stringify(value)}`, { granuleId, field });
  }
  return n;
}

/**
 * Merge records of one granule (e.g. a STAC item and its .cmr.xml); earlier records win for scalar
 * fields, band links and CIDs are united.
 */
export function mergeGranules(first: GranuleMetadata, ...rest: GranuleMetadata[]): GranuleMetadata {
  const out: GranuleMetadata = { ...first, bands: {}, metadataLinks: [...first.metadataLinks] };
  for (const band of BANDS) {
    const b = first.bands[band];
    if (b) out.bands[band] = { ...b };
  }
  for (const r of rest) {
    if (r.granuleId !== first.granuleId) {
      throw new MetadataError(r.source, `cannot merge with ${first.source}: it describes granule ${first.granuleId}`, { granuleId: r.granuleId });
    }
    out.tileId ??= r.tileId;
    out.sensingTime ??= r.sensingTime;
    out.footprint ??= r.footprint;
    out.cloudCover ??= r.cloudCover;
    out.spatialCoverage ??= r.spatialCoverage;
    for (const l of r.metadataLinks) if (!out.metadataLinks.includes(l)) out.metadataLinks.push(l);
    for (const band of BANDS) {
      const b = r.bands[band];
      if (!b) continue;
      const e = (out.bands[band] ??= { filename: b.filename });
      e.href ??= b.href;
      e.s3 ??= b.s3;
      e.cid ??= b.cid;
      e.size ??= b.size;
      e.checksum ??= b.checksum;
    }
  }
  return out;
}

/** Fields a record lacks for a scene (what to fetch next, e.g. the .cmr.xml for spatial coverage). */
export function missingFields(meta: GranuleMetadata): string[] {
  const out: string[] = [];
  if (meta.cloudCover === undefined) out.push('cloudCover');
  if (meta.spatialCoverage === undefined) out.push('spatialCoverage');
  return out;
}

const FIELD_LABEL: Record<string, string> = {
  cloudCover: 'cloud cover (CLOUD_COVERAGE / eo:cloud_cover)',
  spatialCoverage: 'spatial coverage (SPATIAL_COVERAGE)',
};

/**
 * A complete, validated Scene. Every pipeline band is listed (filename always, links and CID when
 * known), so a scene read from a producer-side .cmr.xml can still get its CIDs from a mapping file.
 */
export function toScene(meta: GranuleMetadata): Scene {
  const { source } = meta;
  const idCheck = GranuleIdSchema.safeParse(meta.granuleId);
  if (!idCheck.success) {
    throw new MetadataError(source, `not an HLS granule id (expected like HLS.S30.T15TVG.2022152T170851.v2.0)`, {
      granuleId: meta.granuleId,
      field: 'granuleId',
    });
  }
  const granuleId: GranuleId = idCheck.data;
  const parts = parseGranuleId(granuleId);
  for (const f of missingFields(meta)) {
    throw new MetadataError(source, `missing ${FIELD_LABEL[f] ?? f}`, { granuleId, field: f });
  }
  const tile = meta.tileId ?? parts.tileId;
  const tileCheck = TileIdSchema.safeParse(tile);
  if (!tileCheck.success) throw new MetadataError(source, `bad tile id ${JSON.stringify(tile)} (MGRS_TILE_ID)`, { granuleId, field: 'tileId' });
  if (tileCheck.data !== parts.tileId) {
    throw new MetadataError(source, `MGRS_TILE_ID ${tile} disagrees with the granule id's tile ${parts.tileId}`, { granuleId, field: 'tileId' });
  }
  const bands: BandAsset[] = BANDS.map((band) => {
    const b = meta.bands[band];
    const filename = b?.filename ?? (parts.product === 'S30' ? bandFileName(granuleId, band) : `${granuleId}.${productBandSuffix(granuleId, band)}.tif`);
    const asset: BandAsset = { band, filename };
    if (b?.href) asset.href = b.href;
    if (b?.s3) asset.s3 = b.s3;
    if (b?.cid) asset.cid = b.cid;
    if (b?.size !== undefined) asset.size = b.size;
    if (b?.checksum) asset.checksum = b.checksum;
    return asset;
  });
  const scene: Scene = {
    granuleId,
    tileId: tileCheck.data,
    // The granule id carries the acquisition day (UTC); STAC datetime and SENSING_TIME agree with it.
    date: parts.date,
    cloudCover: meta.cloudCover as number,
    spatialCoverage: meta.spatialCoverage as number,
    bands,
    source,
  };
  if (meta.sensingTime) scene.sensingTime = meta.sensingTime;
  const r = SceneSchema.safeParse(scene);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new MetadataError(source, `invalid scene: ${issue?.path.join('.')}: ${issue?.message}`, { granuleId, field: issue?.path.join('.') });
  }
  return r.data;
}

/** Records read from a document holding several granules, and the ones that could not be read. */
export interface ReadResult {
  records: GranuleMetadata[];
  problems: MetadataError[];
}

/** Read each element on its own: one bad record is reported, the rest are still read. */
export function readEach<T>(items: readonly T[], read: (item: T, index: number) => GranuleMetadata): ReadResult {
  const out: ReadResult = { records: [], problems: [] };
  items.forEach((item, i) => {
    try {
      out.records.push(read(item, i));
    } catch (e) {
      if (!(e instanceof MetadataError)) throw e;
      out.problems.push(e);
    }
  });
  return out;
}
