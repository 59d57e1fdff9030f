// Every real metadata fixture, read to the values its SOURCES.md states or the document holds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BANDS } from '@hls/contracts';
import {
  MetadataError,
  applyCidMapping,
  itemAssetLinks,
  mergeGranules,
  parseCidMappingJson,
  readCidMapping,
  readCidMappingFile,
  readEcho10,
  readMetadataText,
  readStacItem,
  toScene,
} from './index.ts';
import { REAL_FIXTURES } from '@hls/common';

const DIR = `${REAL_FIXTURES}/hls-metadata`;
const text = (f: string): string => readFileSync(join(DIR, f), 'utf8');
const json = (f: string): unknown => JSON.parse(text(f));
type J = Record<string, unknown>;

const S30_XML = 'echo10_HLS.S30.T35VLJ.2021168T100559.v2.0.cmr.xml';
const L30_XML = 'echo10_cmr-concept_G2963019115-LPCLOUD_HLS.L30.T06WVS.2024120T211159.v2.0.xml';

describe('ECHO10 .cmr.xml', () => {
  it('reads the producer-side S30 granule (no XML declaration, empty OnlineAccessURLs)', () => {
    const xml = text(S30_XML);
    assert.ok(!xml.startsWith('<?xml'));
    const scene = toScene(readEcho10(xml, S30_XML));
    assert.equal(scene.granuleId, 'HLS.S30.T35VLJ.2021168T100559.v2.0');
    assert.equal(scene.tileId, '35VLJ');
    assert.equal(scene.cloudCover, 53);
    assert.equal(scene.spatialCoverage, 7);
    assert.equal(scene.sensingTime, '2021-06-17T10:13:17.089943Z');
    assert.equal(scene.date, '2021-06-17');
    assert.deepEqual(
      scene.bands.map((b) => [b.band, b.filename, b.href, b.s3]),
      BANDS.map((b) => [b, `HLS.S30.T35VLJ.2021168T100559.v2.0.${b}.tif`, undefined, undefined]),
    );
  });

  it('reads the CMR-served L30 granule: leading blank line, multi-valued SENSING_TIME, https + s3 links with the bucket', () => {
    const xml = text(L30_XML);
    assert.equal(xml[0], '\n');
    const meta = readEcho10(xml, L30_XML);
    const scene = toScene(meta);
    const g = 'HLS.L30.T06WVS.2024120T211159.v2.0';
    assert.equal(scene.granuleId, g);
    assert.equal(scene.tileId, '06WVS');
    assert.equal(scene.cloudCover, 6);
    assert.equal(scene.spatialCoverage, 100);
    // Two Landsat scenes: the first sensing time is kept.
    assert.equal(scene.sensingTime, '2024-04-29T21:11:59.7221750Z');
    assert.equal(scene.date, '2024-04-29');
    // L30 band files for S30's B8A/B11/B12 are B05/B06/B07.
    const suffix: Record<string, string> = { B8A: 'B05', B11: 'B06', B12: 'B07' };
    for (const b of scene.bands) {
      const file = `${g}.${suffix[b.band] ?? b.band}.tif`;
      assert.equal(b.filename, file);
      assert.equal(b.href, `https://data.lpdaac.earthdatacloud.nasa.gov/lp-prod-protected/HLSL30.020/${g}/${file}`);
      assert.equal(b.s3, `s3://lp-prod-protected/HLSL30.020/${g}/${file}`);
      assert.ok(xml.includes(`<URL>${b.s3}</URL>`), `${b.s3} is in the document`);
    }
    // LP DAAC's AdditionalFile entries give each band file's size and SHA512, read from the document.
    for (const b of scene.bands) {
      const at = xml.indexOf(`<Name>${b.filename}</Name>`);
      assert.ok(at > 0, b.filename);
      const entry = xml.slice(at, xml.indexOf('</AdditionalFile>', at));
      assert.equal(b.size, Number(/<SizeInBytes>(\d+)<\/SizeInBytes>/.exec(entry)?.[1]), b.filename);
      assert.deepEqual(b.checksum, { algorithm: 'SHA512', value: /<Value>([0-9a-f]+)<\/Value>/.exec(entry)?.[1] }, b.filename);
    }
    assert.equal(scene.bands.find((b) => b.band === 'B8A')?.size, 26554784);
    assert.deepEqual(meta.metadataLinks, [
      `https://data.lpdaac.earthdatacloud.nasa.gov/lp-prod-protected/HLSL30.020/${g}/${g}.cmr.xml`,
      `s3://lp-prod-protected/HLSL30.020/${g}/${g}.cmr.xml`,
    ]);
  });

  it('refuses an entity bomb without expanding it', () => {
    const bomb =
      '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n<Granule><GranuleUR>&lol3;</GranuleUR></Granule>';
    assert.throws(() => readEcho10(bomb, 'bomb.cmr.xml'), (e: unknown) => e instanceof MetadataError && /bomb\.cmr\.xml: .*DOCTYPE/.test(e.message));
    const external = '<!DOCTYPE g [<!ENTITY x SYSTEM "file:///etc/passwd">]><Granule><GranuleUR>&x;</GranuleUR></Granule>';
    assert.throws(() => readEcho10(external, 'xxe.xml'), /DOCTYPE\/ENTITY/);
  });

  it('decodes predefined entities and character references in values (entity processing is off)', () => {
    const g = 'HLS.S30.T15TVG.2022152T170851.v2.0';
    const url = `https://e.test/${g}/${g}.B02.tif?x=1&amp;y=2`;
    const xml = text(S30_XML)
      .replaceAll('HLS.S30.T35VLJ.2021168T100559.v2.0', g)
      .replace('<Value>35VLJ</Value>', '<Value>&#49;5TVG</Value>')
      .replace('<OnlineAccessURLs/>', `<OnlineAccessURLs><OnlineAccessURL><URL>${url}</URL></OnlineAccessURL></OnlineAccessURLs>`);
    const meta = readEcho10(xml, 'amp.xml');
    assert.equal(meta.tileId, '15TVG');
    assert.equal(meta.bands.B02?.href, `https://e.test/${g}/${g}.B02.tif?x=1&y=2`);
  });

  it('names the line of malformed XML', () => {
    const bad = text(S30_XML).replace('</GranuleUR>', '</GranuleURX>');
    assert.throws(() => readEcho10(bad, 'bad.xml'), (e: unknown) => e instanceof MetadataError && /bad\.xml: document: malformed XML at line 2/.test(e.message));
    assert.throws(() => readEcho10('<Collection><Id>x</Id></Collection>', 'c.xml'), /no <Granule> root/);
  });

  it('names the granule and the attribute when one is missing or of the wrong type', () => {
    const xml = text(S30_XML);
    const noCover = xml.replace('<Name>SPATIAL_COVERAGE</Name>', '<Name>SPATIAL_COVERAGE_X</Name>');
    assert.throws(
      () => toScene(readEcho10(noCover, 'a.xml')),
      (e: unknown) => e instanceof MetadataError && e.field === 'spatialCoverage' && /a\.xml: granule HLS\.S30\.T35VLJ\.2021168T100559\.v2\.0: missing spatial coverage/.test(e.message),
    );
    const wrong = xml.replace('<Value>53</Value>', '<Value>fifty</Value>');
    assert.throws(() => readEcho10(wrong, 'b.xml'), (e: unknown) => e instanceof MetadataError && e.field === 'CLOUD_COVERAGE' && /"fifty"/.test(e.message));
    const out = xml.replace('<Value>53</Value>', '<Value>153</Value>');
    assert.throws(() => readEcho10(out, 'c.xml'), /CLOUD_COVERAGE must be a number from 0 to 100/);
    const noUr = xml.replace(/<GranuleUR>.*<\/GranuleUR>/, '');
    assert.throws(() => readEcho10(noUr, 'd.xml'), /d\.xml: document: missing <GranuleUR>/);
    const badTile = xml.replace('<Value>35VLJ</Value>', '<Value>15TVG</Value>');
    assert.throws(() => toScene(readEcho10(badTile, 'e.xml')), /MGRS_TILE_ID 15TVG disagrees/);
  });
});

describe('UMM-G JSON', () => {
  it('reads both records of the real granules.umm_json response', () => {
    const f = 'cmr_granules.umm_json_search_HLSL30_2-granules.json';
    const r = readMetadataText(text(f), f);
    assert.equal(r.problems.length, 0);
    const scenes = r.records.map(toScene);
    assert.deepEqual(
      scenes.map((s) => [s.granuleId, s.tileId, s.cloudCover, s.spatialCoverage, s.sensingTime, s.date]),
      [
        ['HLS.L30.T15UXP.2024042T165831.v2.0', '15UXP', 100, 17, '2024-02-11T16:58:31.1504700Z', '2024-02-11'],
        ['HLS.L30.T15UWP.2024042T165831.v2.0', '15UWP', 100, 55, '2024-02-11T16:58:31.1504700Z', '2024-02-11'],
      ],
    );
    const urls = new Set(((json(f) as J).items as J[]).flatMap((it) => ((it.umm as J).RelatedUrls as J[]).map((u) => u.URL)));
    for (const s of scenes) {
      for (const b of s.bands) {
        assert.ok(b.href && urls.has(b.href), `${b.href} in the document`);
        assert.ok(b.s3?.startsWith('s3://lp-prod-protected/HLSL30.020/') && urls.has(b.s3));
      }
    }
  });

  it('reports one bad record and still reads the other', () => {
    const f = 'cmr_granules.umm_json_search_HLSL30_2-granules.json';
    const doc = json(f) as { items: { umm: { AdditionalAttributes: { Name: string; Values: unknown[] }[] } }[] };
    const attr = doc.items[0]!.umm.AdditionalAttributes.find((a) => a.Name === 'CLOUD_COVERAGE')!;
    attr.Values = [{ nested: true }];
    const r = readMetadataText(JSON.stringify(doc), 'edited.json');
    assert.equal(r.records.length, 1);
    assert.equal(r.records[0]!.granuleId, 'HLS.L30.T15UWP.2024042T165831.v2.0');
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0]!.message, /edited\.json#items\[0\]: granule HLS\.L30\.T15UXP\.2024042T165831\.v2\.0: CLOUD_COVERAGE/);
  });
});

describe('CMR JSON feed', () => {
  it('reads all 22 S30 entries with cloud cover, links and the .cmr.xml link, but no spatial coverage', () => {
    const f = 'cmr_granules.json_search_HLSS30_page1.json';
    const entries = ((json(f) as J).feed as J).entry as J[];
    const r = readMetadataText(text(f), f);
    assert.equal(r.records.length, 22);
    assert.equal(r.problems.length, 0);
    r.records.forEach((m, i) => {
      const e = entries[i]!;
      assert.equal(m.granuleId, e.title);
      assert.equal(m.cloudCover, Number(e.cloud_cover));
      assert.equal(m.sensingTime, e.time_start);
      assert.equal(m.spatialCoverage, undefined);
      const hrefs = (e.links as J[]).map((l) => l.href as string);
      for (const band of BANDS) {
        const file = `${m.granuleId}.${band}.tif`;
        assert.equal(m.bands[band]?.href, hrefs.find((h) => h.startsWith('https://') && h.endsWith(`/${file}`)));
        assert.equal(m.bands[band]?.s3, `s3://lp-prod-protected/HLSS30.020/${m.granuleId}/${file}`);
      }
      assert.ok(m.metadataLinks.some((l) => l.endsWith(`${m.granuleId}.cmr.xml`) && hrefs.includes(l)));
      assert.throws(() => toScene(m), (err: unknown) => err instanceof MetadataError && err.field === 'spatialCoverage' && err.message.includes(m.granuleId));
    });
    assert.deepEqual(r.records.slice(0, 4).map((m) => m.cloudCover), [14, 14, 9, 2]);
  });

  it('reads the empty last page as no records', () => {
    const f = 'cmr_granules.json_search_HLSS30_page2-empty.json';
    assert.deepEqual(readMetadataText(text(f), f), { records: [], problems: [] });
  });

  it('completes a feed entry with its .cmr.xml (the real S30 shape is merged with an ECHO10 document)', () => {
    const f = 'cmr_granules.json_search_HLSS30_page1.json';
    const entry = readMetadataText(text(f), f).records[3]!;
    const xml = text(S30_XML)
      .replaceAll('HLS.S30.T35VLJ.2021168T100559.v2.0', entry.granuleId)
      .replace('<Value>35VLJ</Value>', '<Value>15TWL</Value>');
    const scene = toScene(mergeGranules(entry, readEcho10(xml, 'x.cmr.xml')));
    assert.equal(scene.cloudCover, 2);
    assert.equal(scene.spatialCoverage, 7);
    assert.equal(scene.tileId, '15TWL');
    assert.ok(scene.bands.every((b) => b.href && b.s3));
  });
});

describe('STAC items and CIDs', () => {
  it('reads the easierdata IPFS-enabled item: eo:cloud_cover and alternate.IPFS CIDs with s3 links', () => {
    const f = 'easierdata_stac-item_ipfs-alternate_LC09_L1TP_015033_20221015_20221015_02_T1.json';
    const item = json(f) as J;
    const meta = readStacItem(item, f);
    assert.equal(meta.cloudCover, 0.05);
    assert.equal(meta.sensingTime, '2022-10-15T15:46:53.348895Z');
    const links = itemAssetLinks(item, f);
    const assets = item.assets as Record<string, J>;
    assert.equal(links.length, Object.keys(assets).length);
    for (const l of links) {
      const alt = assets[l.key]!.alternate as Record<string, J> | undefined;
      assert.equal(l.cid && `ipfs://${l.cid}`, alt?.IPFS?.href);
      assert.equal(l.s3, alt?.s3?.href);
      assert.equal(l.href, assets[l.key]!.href);
    }
    assert.equal(links.filter((l) => l.cid).length, 23, 'every asset but `index` has a CID');
    assert.equal(links.find((l) => l.key === 'blue')!.cid, 'QmNddx9BvBsQMXgwp6a83D2wiLrmovgCpRKVYKSJoWNNbx');
    // Not HLS: it cannot become a scene, and the error says why.
    assert.throws(() => toScene(meta), /not an HLS granule id/);
  });

  it('reads an HLS item with lower-case alternate.ipfs.cid and a metadata asset', () => {
    const g = 'HLS.S30.T15TVG.2022152T170851.v2.0';
    const base = `https://example.test/${g}/${g}`;
    const cid = 'bafybeib77f7bspur2pekd4nbodseysl2cdf5zsm4smtp25pi625smg3hzy';
    const item = {
      type: 'Feature',
      id: g,
      properties: { datetime: '2022-06-01T17:18:51Z', 'eo:cloud_cover': 3 },
      assets: {
        B02: { href: `${base}.B02.tif`, alternate: { ipfs: { cid } } },
        B03: { href: `${base}.B03.tif`, alternate: { Ipfs: { href: `ipfs://${cid}` }, s3: { href: `s3://bkt/${g}.B03.tif` } } },
        B01: { href: `${base}.B01.tif`, alternate: { ipfs: { cid: 'bafyunused' } } },
        cmr: { href: `https://data.lpdaac.earthdatacloud.nasa.gov/lp-prod-protected/HLSS30.020/${g}/${g}.cmr.xml` },
        metadata: { href: `${base}.cmr.xml` },
      },
    };
    const meta = readStacItem(item, 'item.json');
    assert.equal(meta.bands.B02?.cid, cid);
    assert.equal(meta.bands.B03?.cid, cid);
    assert.equal(meta.bands.B03?.s3, `s3://bkt/${g}.B03.tif`);
    assert.equal(Object.keys(meta.bands).length, 2);
    assert.deepEqual(meta.metadataLinks, [`${base}.cmr.xml`, `https://data.lpdaac.earthdatacloud.nasa.gov/lp-prod-protected/HLSS30.020/${g}/${g}.cmr.xml`]);
    assert.throws(() => toScene(meta), /missing spatial coverage/);
    assert.throws(() => readStacItem({ ...item, properties: { 'eo:cloud_cover': '12%' } }, 'i2.json'), /eo:cloud_cover must be a number/);
  });

  it('reads the easierdata filename->CID mapping and fills band CIDs', () => {
    const f = 'easierdata_filename_to_cid_mapping.json';
    const rows = json(f) as { filename: string; cid: string }[];
    const map = readCidMapping(rows, f);
    assert.equal(map.size, 231);
    for (const r of rows) assert.equal(map.get(r.filename), r.cid);
    const g = 'HLS.S30.T18SVJ.2022070T155051.v2.0';
    const xml = text(S30_XML).replaceAll('HLS.S30.T35VLJ.2021168T100559.v2.0', g).replace('<Value>35VLJ</Value>', '<Value>18SVJ</Value>');
    const scene = toScene(applyCidMapping(readEcho10(xml, 'x.xml'), map));
    for (const b of scene.bands) assert.equal(b.cid, rows.find((r) => r.filename === `${g}.${b.band}.tif`)!.cid);
    assert.equal(scene.bands.find((b) => b.band === 'B11')!.cid, 'bafybeib77f7bspur2pekd4nbodseysl2cdf5zsm4smtp25pi625smg3hzy');
    assert.throws(() => readCidMapping([{ filename: 'a.tif', cid: 'not-a-cid' }], 'm.json'), /m\.json: document: entry 0 \(a\.tif\): "not-a-cid" is not a CID/);
  });

  it('reads the easierdata dashboard GeoJSON as a mapping (1000 B02 files)', () => {
    const f = 'easierdata_dashboard_HLSS30_2.0-B02.geojson';
    const doc = json(f) as { features: { properties: { filename: string; cid: string } }[] };
    const map = readCidMapping(doc, f);
    assert.equal(map.size, new Set(doc.features.map((x) => x.properties.filename)).size);
    assert.equal(map.get('HLS.S30.T13SFC.2022273T174141.v2.0.B02.tif'), 'bafybeie4nl6sd7vrsvxlx2xeoe2txuz4xnpmpuyddepb25lpyfia3ssotm');
  });

  it('reads mapping files: the easierdata list, a {filename: cid} object; bad JSON names the file', async () => {
    const listFile = join(DIR, 'easierdata_filename_to_cid_mapping.json');
    const fromFile = await readCidMappingFile(listFile);
    assert.deepEqual([...fromFile], [...readCidMapping(json('easierdata_filename_to_cid_mapping.json'), 'x')]);
    const obj = parseCidMappingJson(JSON.stringify({ 'a.B02.tif': 'bafybeib77f7bspur2pekd4nbodseysl2cdf5zsm4smtp25pi625smg3hzy' }), 'o.json');
    assert.deepEqual([...obj], [['a.B02.tif', 'bafybeib77f7bspur2pekd4nbodseysl2cdf5zsm4smtp25pi625smg3hzy']]);
    assert.throws(() => parseCidMappingJson('[{"filename":', 'broken.json'), /broken\.json: .*not valid JSON/);
    await assert.rejects(readCidMappingFile(join(DIR, 'no-such-mapping.json')), /no-such-mapping\.json/);
  });

  it('says what a collection document is', () => {
    const f = 'cmr-stac_collection_HLSS30_2.0.json';
    assert.throws(() => readMetadataText(text(f), f), /a STAC Collection, not a granule document/);
    assert.throws(() => readMetadataText('{"a":', 'x.json'), /x\.json: document: neither XML nor valid JSON/);
  });
});
