// The local granule directory and static catalog sources, and findScenes with bad documents among good ones.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  GranuleDirectorySource,
  StaticCatalogSource,
  buildEcho10Xml,
  datetimeInterval,
  findScenes,
  readEcho10,
  selectScenes,
  writeGranuleDirectory,
} from './index.ts';
import { REAL_FIXTURES } from '@hls/common';

const REAL = `${REAL_FIXTURES}/hls-metadata/echo10_HLS.S30.T35VLJ.2021168T100559.v2.0.cmr.xml`;
const TVG: [number, number][] = [[-94.2, 42.4], [-92.9, 42.4], [-92.9, 41.4], [-94.2, 41.4]];
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stac-src-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('synthetic ECHO10', () => {
  it('has the real document structure and reads back to its spec', () => {
    const xml = buildEcho10Xml({ granuleId: 'HLS.S30.T15TVG.2022152T170851.v2.0', cloudCover: 3, spatialCoverage: 88, footprint: TVG });
    const m = readEcho10(xml, 'synth');
    assert.deepEqual([m.granuleId, m.cloudCover, m.spatialCoverage, m.tileId, m.sensingTime], ['HLS.S30.T15TVG.2022152T170851.v2.0', 3, 88, '15TVG', '2022-06-01T17:08:51.000000Z']);
    assert.deepEqual(m.footprint, [[-94.2, 41.4], [-92.9, 41.4], [-92.9, 42.4], [-94.2, 42.4], [-94.2, 41.4]]);
    // Same element path for every field the reader uses as in the real producer file.
    const real = readFileSync(REAL, 'utf8');
    for (const tag of ['<Granule>', '<GranuleUR>', '<AdditionalAttributes>', '<AdditionalAttribute>', '<Values>', '<OnlineAccessURLs/>', '<Spatial>', '<GPolygon>']) {
      assert.ok(real.includes(tag) && xml.includes(tag), tag);
    }
  });
});

describe('granule directory source', () => {
  it('reads every granule folder, names the bad ones, and the tile still gets its scenes', async () => {
    const d = join(dir, 'granules');
    const good = [100, 130, 160, 190].map((doy, i) => ({ granuleId: `HLS.S30.T15TVG.2022${doy}T170851.v2.0`, cloudCover: i, spatialCoverage: 100, footprint: TVG }));
    await writeGranuleDirectory(d, good, { 'HLS.S30.T15TVG.2022130T170851.v2.0.B04.tif': 'bafybeib77f7bspur2pekd4nbodseysl2cdf5zsm4smtp25pi625smg3hzy' });
    // A band file on disk becomes a file: link.
    await writeFile(join(d, good[0]!.granuleId, `${good[0]!.granuleId}.Fmask.tif`), 'x');
    // An entity bomb, a document missing SPATIAL_COVERAGE, a wrong-typed value and a folder without its .cmr.xml.
    const bomb = 'HLS.S30.T15TVG.2022101T170851.v2.0';
    await mkdir(join(d, bomb));
    await writeFile(join(d, bomb, `${bomb}.cmr.xml`), `<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><Granule><GranuleUR>${bomb}</GranuleUR></Granule>`);
    const noCover = 'HLS.S30.T15TVG.2022102T170851.v2.0';
    await mkdir(join(d, noCover));
    await writeFile(join(d, noCover, `${noCover}.cmr.xml`), buildEcho10Xml({ granuleId: noCover, cloudCover: 1, spatialCoverage: 100 }).replace('SPATIAL_COVERAGE', 'SPATIAL_COVERAGE_OLD'));
    const wrong = 'HLS.S30.T15TVG.2022103T170851.v2.0';
    await mkdir(join(d, wrong));
    await writeFile(join(d, wrong, `${wrong}.cmr.xml`), buildEcho10Xml({ granuleId: wrong, cloudCover: 'n/a', spatialCoverage: 100 }));
    await mkdir(join(d, 'HLS.S30.T15TVG.2022104T170851.v2.0'));
    await mkdir(join(d, 'not-a-granule'));

    const src = new GranuleDirectorySource(d);
    const found = await findScenes(src, { collections: ['HLSS30_2.0'], datetime: datetimeInterval('2022-01-01', '2022-12-31') }, { tileId: '15TVG' });
    assert.deepEqual(found.scenes.map((s) => s.granuleId), good.map((g) => g.granuleId));
    const byGranule = new Map(found.problems.map((p) => [p.granuleId, p.message]));
    assert.equal(found.problems.length, 4);
    assert.match(byGranule.get(bomb)!, /DOCTYPE\/ENTITY/);
    assert.match(byGranule.get(noCover)!, new RegExp(`${noCover}\\.cmr\\.xml: granule ${noCover.replace(/\./g, '\\.')}: missing spatial coverage`));
    assert.match(byGranule.get(wrong)!, /CLOUD_COVERAGE must be a number from 0 to 100, got "n\/a"/);
    assert.match(byGranule.get('HLS.S30.T15TVG.2022104T170851.v2.0')!, /granule folder has no HLS\.S30\.T15TVG\.2022104T170851\.v2\.0\.cmr\.xml/);
    const s0 = found.scenes[0]!;
    assert.match(s0.bands.find((b) => b.band === 'Fmask')!.href!, /^file:\/\/.*\.Fmask\.tif$/);
    assert.equal(found.scenes[1]!.bands.find((b) => b.band === 'B04')!.cid, 'bafybeib77f7bspur2pekd4nbodseysl2cdf5zsm4smtp25pi625smg3hzy');
    // Selection on what came through: 4 candidates, lower middle.
    const sel = selectScenes(found.scenes);
    assert.ok(sel.ok);
    assert.deepEqual(sel.scenes.map((s) => s.granuleId.slice(15, 22)), ['2022100', '2022130', '2022190']);
    // The datetime filter applies.
    const june = await findScenes(src, { collections: ['HLSS30_2.0'], datetime: datetimeInterval('2022-05-01', '2022-06-30') });
    assert.deepEqual(june.scenes.map((s) => s.granuleId), ['HLS.S30.T15TVG.2022130T170851.v2.0', 'HLS.S30.T15TVG.2022160T170851.v2.0']);
  });
});

describe('static catalog source', () => {
  let catDir: string;
  const g = (doy: number): string => `HLS.S30.T15TVG.2022${doy}T170851.v2.0`;
  before(async () => {
    catDir = join(dir, 'catalog');
    await mkdir(join(catDir, 'HLSS30_2.0', 'items'), { recursive: true });
    await writeFile(join(catDir, 'catalog.json'), JSON.stringify({ type: 'Catalog', id: 'c', links: [{ rel: 'child', href: './HLSS30_2.0/collection.json' }] }));
    const ids = [120, 150, 180, 210];
    await writeFile(
      join(catDir, 'HLSS30_2.0', 'collection.json'),
      JSON.stringify({ type: 'Collection', id: 'HLSS30_2.0', links: [...ids.map((d) => ({ rel: 'item', href: `./items/${g(d)}.json` })), { rel: 'item', href: './items/missing.json' }] }),
    );
    for (const [i, d] of ids.entries()) {
      await writeFile(join(catDir, 'HLSS30_2.0', 'items', `${g(d)}.cmr.xml`), buildEcho10Xml({ granuleId: g(d), cloudCover: i, spatialCoverage: 90 + i }));
      await writeFile(
        join(catDir, 'HLSS30_2.0', 'items', `${g(d)}.json`),
        JSON.stringify({
          type: 'Feature',
          id: g(d),
          geometry: { type: 'Polygon', coordinates: [[...TVG, TVG[0]]] },
          properties: { datetime: `2022-0${Math.floor(d / 31)}-10T17:08:51Z`, 'eo:cloud_cover': i },
          assets: { B02: { href: `https://x.test/${g(d)}.B02.tif`, alternate: { IPFS: { href: 'ipfs://QmNddx9BvBsQMXgwp6a83D2wiLrmovgCpRKVYKSJoWNNbx' } } }, metadata: { href: `./${g(d)}.cmr.xml` } },
        }),
      );
    }
  });

  it('walks catalog.json on disk, reads items and their relative .cmr.xml, and reports a broken link', async () => {
    const src = new StaticCatalogSource(join(catDir, 'catalog.json'));
    const found = await findScenes(src, { collections: ['HLSS30_2.0'] });
    assert.deepEqual(found.scenes.map((s) => [s.granuleId, s.cloudCover, s.spatialCoverage]), [
      [g(120), 0, 90],
      [g(150), 1, 91],
      [g(180), 2, 92],
      [g(210), 3, 93],
    ]);
    assert.equal(found.scenes[0]!.bands[0]!.cid, 'QmNddx9BvBsQMXgwp6a83D2wiLrmovgCpRKVYKSJoWNNbx');
    assert.equal(found.problems.length, 1);
    assert.match(found.problems[0]!.source, /missing\.json$/);
    const none = await findScenes(src, { collections: ['HLSL30_2.0'] });
    assert.equal(none.scenes.length, 0);
  });

  it('reads the same catalog over HTTP', async () => {
    const http = createServer((req, res) => {
      try {
        const body = readFileSync(join(catDir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/\.\.+/g, '')));
        res.writeHead(200).end(body);
      } catch {
        res.writeHead(404).end('not found');
      }
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/catalog.json`;
      const found = await findScenes(new StaticCatalogSource(url, { retries: 0 }), { collections: ['HLSS30_2.0'], datetime: datetimeInterval('2022-05-01', '2022-06-30') });
      assert.deepEqual(found.scenes.map((s) => s.granuleId), [g(180), g(210)]);
      assert.match(found.problems[0]!.message, /missing\.json: HTTP 404/);
    } finally {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    }
  });
});
