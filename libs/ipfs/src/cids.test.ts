import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BANDS } from '@hls/contracts';
import { createFetcher } from './backends.ts';
import { bandRefs, checkCids, grabCids } from './cids.ts';
import { readCidMappingFile } from '@hls/stac';
import { bandFile, withProvider, type Fixture } from './test-support/fixtures.ts';

const REAL_MAPPING = join(import.meta.dirname, '../../../../shared/fixtures/real/hls-metadata/easierdata_filename_to_cid_mapping.json');

test('grab takes any mapping format stac reads: the dashboard GeoJSON (B02 files only)', async () => {
  const mapping = await readCidMappingFile(join(REAL_MAPPING, '..', 'easierdata_dashboard_HLSS30_2.0-B02.geojson'));
  const g = grabCids('title_id,tile_id,date\nHLS.S30.T13SFC.2022273T174141.v2.0,13SFC,2022-09-30\n', mapping);
  assert.equal(g.payloads[0]!.bands.find((b) => b.band_name === 'B02')?.cid, 'bafybeie4nl6sd7vrsvxlx2xeoe2txuz4xnpmpuyddepb25lpyfia3ssotm');
  assert.deepEqual(g.missing.map((m) => m.band), BANDS.filter((b) => b !== 'B02'));
});

test('grab: the 7 band CIDs of each selected scene come from the real easierdata mapping', async () => {
  const mapping = await readCidMappingFile(REAL_MAPPING);
  const csv = [
    'title_id,tile_id,cloud_cover,spatial_cover,date,http_links,s3_links',
    'HLS.S30.T18SVJ.2022070T155051.v2.0,18SVJ,1,100,2022-03-11,"[""https://x/a.tif"",""https://x/b.tif""]",[]',
    'HLS.S30.T99ZZZ.2022070T155051.v2.0,99ZZZ,1,100,2022-03-11,[],[]',
    '../../etc,18SVJ,1,100,2022-03-11,[],[]',
  ].join('\n');
  const g = grabCids(csv, mapping);
  assert.equal(g.payloads.length, 2);
  const first = g.payloads[0]!;
  assert.equal(first.tile_id, '18SVJ');
  assert.deepEqual(first.bands.map((b) => b.band_name), [...BANDS]);
  for (const b of first.bands) {
    assert.equal(b.cid, mapping.get(b.filename), b.filename);
    assert.match(b.cid ?? '', /^bafybei[a-z2-7]{52}$/);
  }
  assert.equal(first.bands.find((b) => b.band_name === 'B11')?.cid, 'bafybeib77f7bspur2pekd4nbodseysl2cdf5zsm4smtp25pi625smg3hzy');
  assert.equal(g.missing.length, 7, 'every band of the unknown scene is reported');
  assert.ok(g.missing.every((m) => m.scene === 'HLS.S30.T99ZZZ.2022070T155051.v2.0' && m.cid === null));
  assert.equal(g.problems.length, 1);
  assert.match(g.problems[0]!, /row 4: '\.\.\/\.\.\/etc' is not an HLS granule id/);
});

const G1 = 'HLS.S30.T15TVG.2022152T170851.v2.0';
const G2 = 'HLS.S30.T15TVG.2022172T170851.v2.0';
let fx: Fixture;
before(async () => {
  const files: Record<string, number> = {};
  for (const g of [G1, G2]) for (const b of BANDS) files[bandFile(g, b)] = 50_000 + b.length * 70_000;
  fx = await withProvider(files);
});
after(() => fx.cleanup());

function payloads() {
  return [G1, G2].map((g) => ({
    title_id: g,
    tile_id: '15TVG',
    date: '2022-06-01',
    bands: BANDS.map((b) => ({ band_name: b, filename: `${g}.${b}.tif`, cid: fx.cidOf(bandFile(g, b)) as string | null })),
  }));
}

test('check: available CIDs pass, a missing one and one without a CID land in missing_cids.json as JSON lines', async (t) => {
  const p = payloads();
  const gone = p[1]!.bands[2]!.cid as string;
  p[0]!.bands[6]!.cid = null;
  fx.provider.faults.missing.add(gone);
  t.after(() => fx.provider.faults.missing.delete(gone));
  const f = await createFetcher({ backends: [{ type: 'gateway', urls: [fx.provider.gateway] }], timeout_ms: 15_000, retries: 0, concurrency: 4 });
  const missingFile = join(fx.root, 'missing_cids.json');
  const r = await checkCids(f, bandRefs(p), { missingFile });
  assert.equal(r.filter((x) => x.available).length, 12);
  const lines = readFileSync(missingFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 2);
  assert.deepEqual(
    lines.sort((a, b) => String(a.scene).localeCompare(String(b.scene))),
    [
      { scene: G1, band: 'Fmask', filename: `${G1}.Fmask.tif`, cid: null },
      { scene: G2, band: 'B04', filename: `${G2}.B04.tif`, cid: gone },
    ],
  );
  assert.match(r.find((x) => x.cid === gone)?.reason ?? '', /404/);
});
