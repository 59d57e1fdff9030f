import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BANDS, SceneSchema } from '@hls/contracts';
import type { Scene } from '@hls/contracts';
import { spawnSync } from 'node:child_process';
import {
  mergeSceneParts,
  mgrsTileId,
  middleIndex,
  parseLinksCell,
  parseTilePayloads,
  selectScenes,
  selectedTilesCsv,
  selectedTilesRows,
  sortScenes,
  tilePayloads,
  tilePayloadsJson,
  writeScenePart,
} from './index.ts';

/** A scene of tile 15TVG acquired on day-of-year `doy` of 2022. */
function scene(doy: number, cloud: number, coverage: number, time = '170851'): Scene {
  const g = `HLS.S30.T15TVG.2022${String(doy).padStart(3, '0')}T${time}.v2.0`;
  const date = new Date(Date.UTC(2022, 0, doy)).toISOString().slice(0, 10);
  return SceneSchema.parse({
    granuleId: g,
    tileId: '15TVG',
    date,
    cloudCover: cloud,
    spatialCoverage: coverage,
    bands: BANDS.map((band) => ({ band, filename: `${g}.${band}.tif`, href: `https://h/${g}.${band}.tif`, s3: `s3://bkt/${g}.${band}.tif`, cid: `cid-${doy}-${band}` })),
  });
}
const ids = (s: readonly Scene[]): string[] => s.map((x) => x.granuleId.slice(15, 23));

describe('selectScenes', () => {
  it('keeps int(cloud cover) <= threshold and picks first, middle, last by date', () => {
    const input = [scene(200, 1, 100), scene(100, 5, 100), scene(150, 6, 100), scene(120, 0, 100), scene(180, 5.99, 100)];
    const r = selectScenes(input);
    assert.ok(r.ok);
    assert.deepEqual(ids(r.candidates), ['2022100T', '2022120T', '2022180T', '2022200T']);
    // 4 candidates: lower middle is index 1.
    assert.deepEqual(ids(r.scenes), ['2022100T', '2022120T', '2022200T']);
    assert.equal(r.coverageLevel, 100);
    const upper = selectScenes(input, { middle: 'upper' });
    assert.ok(upper.ok);
    assert.deepEqual(ids(upper.scenes), ['2022100T', '2022180T', '2022200T']);
  });

  it('odd counts take the true middle whatever the option', () => {
    const input = [scene(10, 0, 100), scene(20, 0, 100), scene(30, 0, 100), scene(40, 0, 100), scene(50, 0, 100)];
    for (const middle of ['lower', 'upper'] as const) {
      const r = selectScenes(input, { middle });
      assert.ok(r.ok);
      assert.deepEqual(ids(r.scenes), ['2022010T', '2022030T', '2022050T']);
    }
    assert.deepEqual([2, 3, 4, 5, 6].map((n) => middleIndex(n)), [0, 1, 1, 2, 2]);
    assert.deepEqual([2, 3, 4, 5, 6].map((n) => middleIndex(n, 'upper')), [1, 1, 2, 2, 3]);
  });

  it('walks the coverage cascade to the first level leaving 3 scenes, and keeps every scene at that level', () => {
    const input = [scene(10, 0, 100), scene(20, 0, 89), scene(30, 0, 85), scene(40, 0, 81), scene(50, 0, 79), scene(60, 0, 100)];
    const r = selectScenes(input);
    assert.ok(r.ok);
    assert.equal(r.coverageLevel, 80);
    assert.deepEqual(ids(r.candidates), ['2022010T', '2022020T', '2022030T', '2022040T', '2022060T']);
    assert.deepEqual(ids(r.scenes), ['2022010T', '2022030T', '2022060T']);
    const at90 = selectScenes([...input, scene(70, 0, 90)]);
    assert.ok(at90.ok);
    assert.equal(at90.coverageLevel, 90);
  });

  it('keeps same-date ties in input (source) order, as the original\'s stable sort by date', () => {
    const a = [scene(10, 0, 100, '170000'), scene(10, 0, 100, '160000'), scene(20, 0, 100), scene(30, 0, 100)];
    const b = [...a].reverse();
    const ra = selectScenes(a);
    const rb = selectScenes(b);
    assert.ok(ra.ok && rb.ok);
    assert.equal(ra.scenes[0].granuleId, 'HLS.S30.T15TVG.2022010T170000.v2.0');
    assert.equal(rb.scenes[0].granuleId, 'HLS.S30.T15TVG.2022010T160000.v2.0');
    assert.deepEqual(sortScenes(a).map((s) => s.granuleId.slice(15, 29)), ['2022010T170000', '2022010T160000', '2022020T170851', '2022030T170851']);
  });

  it('rejects with a reason when no triple qualifies, and counts duplicates once', () => {
    const r = selectScenes([scene(10, 0, 100), scene(10, 0, 100), scene(20, 0, 49), scene(30, 9, 100), scene(40, 1, 60)]);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.reason, 'no-scenes');
    assert.equal(r.detail, '4 scene(s) found, 3 with cloud cover <= 5%, 2 of those with spatial coverage >= 50%; 3 needed');
    assert.equal(selectScenes([]).ok, false);
  });
});

describe('selected_tiles.csv and tile_payloads.json', () => {
  it('writes the rows as the original does: T-prefixed tile ids, band-keyed dict cells for the links', () => {
    const s = [scene(10, 0, 100), scene(20, 1.5, 90)];
    const csv = selectedTilesCsv(s).split('\n');
    assert.equal(csv[0], 'title_id,tile_id,cloud_cover,spatial_cover,date,http_links,s3_links');
    const g = 'HLS.S30.T15TVG.2022020T170851.v2.0';
    assert.ok(csv[2]!.startsWith(`${g},T15TVG,1.5,90,2022-01-20,"{'B02': 'https://h/${g}.B02.tif', 'B03': `), csv[2]);
    assert.ok(csv[2]!.endsWith(`'Fmask': 's3://bkt/${g}.Fmask.tif'}"`));
    // Python as the oracle: csv.writer (what pandas' to_csv uses) over str(dict) cells.
    const py = spawnSync('/usr/bin/python3', ['-c', [
      'import csv, sys, json',
      'rows = json.load(sys.stdin)',
      "w = csv.writer(sys.stdout, lineterminator='\\n')",
      'for r in rows: w.writerow(r[:5] + [str(dict(r[5])), str(dict(r[6]))])',
    ].join('\n')], {
      input: JSON.stringify(s.map((x) => [x.granuleId, `T${x.tileId}`, x.cloudCover, x.spatialCoverage, x.date, x.bands.map((b) => [b.band, b.href]), x.bands.map((b) => [b.band, b.s3])])),
      encoding: 'utf8',
    });
    assert.equal(py.status, 0, py.stderr);
    assert.equal(csv.slice(1).join('\n'), py.stdout);
    // Our readers take the original's cell and the JSON list earlier versions wrote.
    assert.deepEqual(parseLinksCell(`{'B02': 'https://h/${g}.B02.tif', 'Fmask': 'https://h/${g}.Fmask.tif'}`), { B02: `https://h/${g}.B02.tif`, Fmask: `https://h/${g}.Fmask.tif` });
    assert.deepEqual(parseLinksCell(`["https://h/${g}.B02.tif"]`), { B02: `https://h/${g}.B02.tif` });
    assert.deepEqual([mgrsTileId('T15TVG'), mgrsTileId('15TVG')], ['15TVG', '15TVG']);
  });

  it('the http_links cell of a real row of the original\'s selected_tiles.csv, byte for byte', () => {
    // easierdata/multi-temporal-crop-classification-training-data @ 94f3b5f, data/selected_tiles.csv, row 1.
    const g = 'HLS.S30.T13TDE.2022111T174859.v2.0';
    const base = `https://data.lpdaac.earthdatacloud.nasa.gov/lp-prod-protected/HLSS30.020/${g}/${g}`;
    const original = `"{'B02': '${base}.B02.tif', 'B03': '${base}.B03.tif', 'B04': '${base}.B04.tif', 'B8A': '${base}.B8A.tif', 'B11': '${base}.B11.tif', 'B12': '${base}.B12.tif', 'Fmask': '${base}.Fmask.tif'}"`;
    const sc = SceneSchema.parse({
      granuleId: g, tileId: '13TDE', date: '2022-04-21', cloudCover: 3, spatialCoverage: 99,
      bands: BANDS.map((band) => ({ band, filename: `${g}.${band}.tif`, href: `${base}.${band}.tif` })),
    });
    const row = selectedTilesRows([sc])[0]!;
    // The original's older file has no title_id column; the rest of the row, up to s3_links (no s3 links here), is the same.
    assert.equal(row, `${g},T13TDE,3,99,2022-04-21,${original},{}`);
    assert.equal(parseLinksCell(JSON.parse(`"${original.slice(1, -1).replace(/"/g, '\\"')}"`) as string).B8A, `${base}.B8A.tif`);
  });

  it('tile_payloads.json is keyed by granule id as grab_cids_from_selected_tiles.py writes it; both shapes read back', () => {
    const s = [scene(10, 0, 100), scene(20, 1.5, 90)];
    const text = tilePayloadsJson(tilePayloads(s));
    const g = 'HLS.S30.T15TVG.2022020T170851.v2.0';
    const doc = JSON.parse(text) as Record<string, { filename: string; cid: string | null; band_name: string }[]>;
    assert.deepEqual(Object.keys(doc), ['HLS.S30.T15TVG.2022010T170851.v2.0', g]);
    assert.deepEqual(doc[g]![6], { filename: `${g}.Fmask.tif`, cid: 'cid-20-Fmask', band_name: 'Fmask' });
    // Python's json.dump(obj, f) as the oracle for the exact text.
    const py = spawnSync('/usr/bin/python3', ['-c', 'import json, sys; json.dump(json.load(sys.stdin), sys.stdout)'], { input: text, encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    assert.equal(text, py.stdout);
    const fromDict = parseTilePayloads(doc, 'tile_payloads.json');
    assert.deepEqual(fromDict, tilePayloads(s).map((p) => ({ ...p, bands: p.bands })));
    const fromList = parseTilePayloads(tilePayloads(s).map((p) => ({ ...p, tile_id: `T${p.tile_id}` })), 'old.json');
    assert.deepEqual(fromList, fromDict);
    assert.throws(() => parseTilePayloads({ 'not-a-granule': [] }, 'x.json'), /x\.json: key "not-a-granule" is not an HLS granule id/);
  });

  it('writes one part per tile and merges them in tile order (concurrent tiles never share a file)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stac-parts-'));
    try {
      const other = (s: Scene): Scene => ({ ...s, tileId: '14TQL' as Scene['tileId'], granuleId: s.granuleId.replace('15TVG', '14TQL') as Scene['granuleId'] });
      await Promise.all([
        writeScenePart(dir, '15TVG', [scene(10, 0, 100), scene(20, 0, 100), scene(30, 0, 100)]),
        writeScenePart(dir, '14TQL', [scene(11, 0, 100), scene(21, 0, 100), scene(31, 0, 100)].map(other)),
      ]);
      // Redelivery rewrites the same part: still one part per tile.
      await writeScenePart(dir, '15TVG', [scene(10, 0, 100), scene(20, 0, 100), scene(30, 0, 100)]);
      assert.deepEqual((await readdir(join(dir, '.scene-parts'))).sort(), ['14TQL.json', '15TVG.json']);
      const r = await mergeSceneParts(dir);
      assert.deepEqual([r.tiles, r.scenes], [2, 6]);
      const csv = (await readFile(join(dir, 'selected_tiles.csv'), 'utf8')).trim().split('\n');
      assert.equal(csv.length, 7);
      assert.deepEqual(csv.slice(1).map((l) => l.split(',')[1]), ['T14TQL', 'T14TQL', 'T14TQL', 'T15TVG', 'T15TVG', 'T15TVG']);
      const payloads = JSON.parse(await readFile(join(dir, 'tile_payloads.json'), 'utf8')) as Record<string, unknown[]>;
      assert.equal(Object.keys(payloads).length, 6);
      assert.equal(Object.keys(payloads)[3], 'HLS.S30.T15TVG.2022010T170851.v2.0');
      assert.equal(payloads['HLS.S30.T15TVG.2022010T170851.v2.0']!.length, 7);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
