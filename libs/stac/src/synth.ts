// Synthetic granule directories for tests and the demo: ECHO10 documents with the same structure as
// HLS's real .cmr.xml (fixtures/real/hls-metadata), with chosen cloud and spatial coverage.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseGranuleId } from '@hls/contracts';
import { CID_MAPPING_FILE } from './granule-dir.ts';

export interface GranuleSpec {
  granuleId: string;
  cloudCover: number | string;
  spatialCoverage: number | string;
  /** Default: the granule id's day at the id's time. */
  sensingTime?: string;
  /** Default: the granule id's tile. */
  mgrsTileId?: string;
  /** Clockwise unclosed [lon, lat] points, as ECHO10 lists them. */
  footprint?: [number, number][];
  /** OnlineAccessURLs (https and s3 band links). */
  urls?: string[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function defaultSensingTime(granuleId: string): string {
  const p = parseGranuleId(granuleId);
  const t = /T(\d{2})(\d{2})(\d{2})\.v/.exec(granuleId);
  return `${p.date}T${t?.[1] ?? '00'}:${t?.[2] ?? '00'}:${t?.[3] ?? '00'}.000000Z`;
}

export function buildEcho10Xml(spec: GranuleSpec): string {
  const p = parseGranuleId(spec.granuleId);
  const sensing = spec.sensingTime ?? defaultSensingTime(spec.granuleId);
  const attr = (name: string, ...values: string[]): string =>
    `    <AdditionalAttribute>\n      <Name>${name}</Name>\n      <Values>\n${values.map((v) => `        <Value>${esc(v)}</Value>\n`).join('')}      </Values>\n    </AdditionalAttribute>\n`;
  const points = (spec.footprint ?? [])
    .map(([lon, lat]) => `            <Point>\n              <PointLongitude>${lon}</PointLongitude>\n              <PointLatitude>${lat}</PointLatitude>\n            </Point>\n`)
    .join('');
  const spatial = spec.footprint
    ? `  <Spatial>\n    <HorizontalSpatialDomain>\n      <Geometry>\n        <GPolygon>\n          <Boundary>\n${points}          </Boundary>\n        </GPolygon>\n      </Geometry>\n    </HorizontalSpatialDomain>\n  </Spatial>\n`
    : '';
  const urls = (spec.urls ?? []).map((u) => `    <OnlineAccessURL>\n      <URL>${esc(u)}</URL>\n    </OnlineAccessURL>\n`).join('');
  return (
    `<Granule>\n  <GranuleUR>${spec.granuleId}</GranuleUR>\n` +
    `  <DataGranule>\n    <ProducerGranuleId>${spec.granuleId.replace(/\.v\d+\.\d+$/, '')}</ProducerGranuleId>\n    <DayNightFlag>DAY</DayNightFlag>\n    <LocalVersionId>${p.version}</LocalVersionId>\n  </DataGranule>\n` +
    `  <Temporal>\n    <RangeDateTime>\n      <BeginningDateTime>${sensing}</BeginningDateTime>\n      <EndingDateTime>${sensing}</EndingDateTime>\n    </RangeDateTime>\n  </Temporal>\n` +
    spatial +
    `  <AdditionalAttributes>\n` +
    attr('CLOUD_COVERAGE', String(spec.cloudCover)) +
    attr('MGRS_TILE_ID', spec.mgrsTileId ?? p.tileId) +
    attr('SPATIAL_COVERAGE', String(spec.spatialCoverage)) +
    attr('SENSING_TIME', sensing) +
    `  </AdditionalAttributes>\n` +
    (urls ? `  <OnlineAccessURLs>\n${urls}  </OnlineAccessURLs>\n` : '  <OnlineAccessURLs/>\n') +
    `  <DataFormat>Cloud Optimized GeoTIFF (COG)</DataFormat>\n</Granule>`
  );
}

/** Write a granule directory (layout in granule-dir.ts); `cids` becomes the directory's mapping file. */
export async function writeGranuleDirectory(dir: string, specs: readonly GranuleSpec[], cids?: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const s of specs) {
    const gdir = join(dir, s.granuleId);
    await mkdir(gdir, { recursive: true });
    await writeFile(join(gdir, `${s.granuleId}.cmr.xml`), buildEcho10Xml(s));
  }
  if (cids) await writeFile(join(dir, CID_MAPPING_FILE), JSON.stringify(Object.entries(cids).map(([filename, cid]) => ({ filename, cid })), null, 1));
}
