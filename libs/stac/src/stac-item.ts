// STAC items: CMR-STAC HLS items (assets B02..Fmask keyed by band, `metadata` = the .cmr.xml) and
// IPFS-enabled items (easierdata), whose assets carry CIDs as `alternate.IPFS.href = "ipfs://<cid>"`
// (ipfs-stac era) or `alternate.ipfs.cid`; the alternate key is matched case-insensitively.
import { MetadataError } from './errors.ts';
import { BANDS } from '@hls/contracts';
import { addBandLink, fileNameOf, newGranule, percent, productBandSuffix } from './granule.ts';
import type { GranuleMetadata } from './granule.ts';
import { isObj, str } from './json-util.ts';
import type { Json } from './json-util.ts';

export interface AssetLinks {
  key: string;
  href?: string;
  s3?: string;
  cid?: string;
  roles: string[];
}

/** `ipfs://<cid>[/path]` or `/ipfs/<cid>` (gateway URL) -> cid. */
export function cidFromIpfsUrl(url: string): string | undefined {
  const m = /^ipfs:\/\/([A-Za-z0-9]+)/.exec(url) ?? /\/ipfs\/([A-Za-z0-9]+)/.exec(url);
  return m?.[1];
}

/** The https link, s3 link and CID of every asset of an item. */
export function itemAssetLinks(item: Json, source: string): AssetLinks[] {
  const assets = item.assets;
  if (assets === undefined) return [];
  if (!isObj(assets)) throw new MetadataError(source, 'assets must be an object', { granuleId: str(item.id), field: 'assets' });
  const out: AssetLinks[] = [];
  for (const [key, a] of Object.entries(assets)) {
    if (!isObj(a)) continue;
    const links: AssetLinks = { key, roles: Array.isArray(a.roles) ? a.roles.filter((r): r is string => typeof r === 'string') : [] };
    const href = str(a.href);
    if (href?.startsWith('s3://')) links.s3 = href;
    else if (href?.startsWith('ipfs://')) links.cid = cidFromIpfsUrl(href);
    else if (href) links.href = href;
    const alt = isObj(a.alternate) ? a.alternate : {};
    for (const [altKey, v] of Object.entries(alt)) {
      if (!isObj(v)) continue;
      const k = altKey.toLowerCase();
      const altHref = str(v.href);
      if (k === 'ipfs') {
        const cid = str(v.cid) ?? (altHref ? cidFromIpfsUrl(altHref) : undefined);
        if (cid) links.cid ??= cid;
      } else if (altHref?.startsWith('s3://')) {
        links.s3 ??= altHref;
      } else if (altHref && /^https?:/.test(altHref)) {
        links.href ??= altHref;
      }
    }
    const cid = str(a.cid) ?? str(a['ipfs:cid']);
    if (cid) links.cid ??= cid;
    out.push(links);
  }
  return out;
}

/** Read a STAC item: id, eo:cloud_cover, MGRS tile (if the item says), band assets and CIDs, metadata link. */
/** The outer ring of a Polygon item geometry (HLS footprints are one polygon), as [lon, lat] pairs. */
function itemFootprint(geometry: unknown): [number, number][] | undefined {
  if (!isObj(geometry) || geometry.type !== 'Polygon' || !Array.isArray(geometry.coordinates)) return undefined;
  const ring = geometry.coordinates[0];
  if (!Array.isArray(ring) || ring.length < 4) return undefined;
  const pts = ring.map((p: unknown) => (Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number' ? ([p[0], p[1]] as [number, number]) : null));
  return pts.every((p) => p !== null) ? (pts as [number, number][]) : undefined;
}

export function readStacItem(item: unknown, source: string): GranuleMetadata {
  if (!isObj(item)) throw new MetadataError(source, 'STAC item is not an object');
  const granuleId = str(item.id)?.trim();
  if (!granuleId) throw new MetadataError(source, 'STAC item has no id', { field: 'id' });
  const props = isObj(item.properties) ? item.properties : {};
  const meta = newGranule(granuleId, 'stac-item', source);
  meta.cloudCover = percent(props['eo:cloud_cover'], source, granuleId, 'eo:cloud_cover');
  // Not in CMR-STAC items; the local server and some catalogs carry it, saving a .cmr.xml fetch.
  meta.spatialCoverage = percent(props['hls:spatial_coverage'], source, granuleId, 'hls:spatial_coverage');
  const tile = str(props['mgrs:tile']) ?? str(props['hls:tile_id']);
  if (tile) meta.tileId = tile.replace(/^T/, '');
  const dt = str(props.datetime);
  if (dt !== undefined && Number.isNaN(Date.parse(dt))) throw new MetadataError(source, `datetime is not a time: ${JSON.stringify(dt)}`, { granuleId, field: 'datetime' });
  if (dt) meta.sensingTime = dt;
  const ring = itemFootprint(item.geometry);
  if (ring) meta.footprint = ring;
  for (const a of itemAssetLinks(item, source)) {
    if (a.key === 'metadata' || (a.href && fileNameOf(a.href).endsWith('.cmr.xml'))) {
      const link = a.href ?? a.s3;
      if (!link || meta.metadataLinks.includes(link)) continue;
      // CMR-STAC's `metadata` asset is the public CMR concept XML (ECHO10); the LP DAAC .cmr.xml sits in
      // the protected bucket and needs Earthdata Login, so the former is tried first.
      if (a.key === 'metadata') meta.metadataLinks.unshift(link);
      else meta.metadataLinks.push(link);
      continue;
    }
    // Band from the file name of any link; the CID goes to the band of that asset.
    const before = Object.keys(meta.bands).length;
    for (const link of [a.href, a.s3]) if (link) addBandLink(meta, link, a.cid);
    if (Object.keys(meta.bands).length === before && a.cid && !a.href && !a.s3) {
      // An asset keyed by band with only an ipfs:// href.
      const band = BANDS.find((b) => b === a.key);
      if (band) meta.bands[band] ??= { filename: `${granuleId}.${productBandSuffix(granuleId, band)}.tif`, cid: a.cid };
    }
  }
  return meta;
}
