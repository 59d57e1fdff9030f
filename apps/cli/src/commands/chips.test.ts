import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CDL_GRID } from '@hls/contracts';
import { readChipPayload, transformer } from '@hls/geo';
import { writeGeoTiff } from '@hls/raster';
import { REAL_FIXTURES } from '@hls/common';

const FIX = `${REAL_FIXTURES}`;
const CHIPS = `${FIX}/chips/midwest_crops_chip_payload.geojson`;
const TWIN = `${FIX}/chips/midwest_crops_chip_payload_5070.geojson`;
const KML = `${FIX}/s2-grid/sentinel_tile_grid_subset.reconstructed.kml`;
const dir = mkdtempSync(join(tmpdir(), 'cli-chips-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const main = join(import.meta.dirname, '..', 'main.ts');
const cli = (...args: string[]) => execFileSync(process.execPath, [main, 'chips', ...args], { encoding: 'utf8', stdio: 'pipe' });

test('chips assign writes chips_id.json, chips_df.csv and the tile choice report', () => {
  const out = join(dir, 'assign');
  const s = cli('assign', '--chips', CHIPS, '--grid', KML, '--out', out, '--no-cache');
  assert.match(s, /assigned: 1751 chips to \d+ tiles/);
  assert.equal((JSON.parse(readFileSync(join(out, 'chips_id.json'), 'utf8')) as string[]).length, 1751);
  assert.equal(readFileSync(join(out, 'chips_df.csv'), 'utf8').trim().split('\n').length, 1752);
  assert.ok(existsSync(join(out, 'tile_choice_report.csv')));
  assert.ok(!existsSync(`${KML}.grid.json`), 'the fixture folder is left alone');
});

test('chips to-5070 writes the twin the original shipped, byte for byte; filter writes a selection (touching by default, --within strict)', async () => {
  const payload = join(dir, 'midwest.geojson');
  copyFileSync(CHIPS, payload);
  assert.match(cli('to-5070', payload), /1751 chips/);
  assert.equal(readFileSync(join(dir, 'midwest_5070.geojson'), 'utf8'), readFileSync(TWIN, 'utf8'));
  const aoi = join(dir, 'aoi.geojson');
  writeFileSync(aoi, JSON.stringify({ type: 'Polygon', coordinates: [[[-100, 40], [-90, 40], [-90, 45], [-100, 45], [-100, 40]]] }));
  const s = cli('filter', '--aoi', aoi, '--chips', payload, '--name', 'iowa', '--out', dir);
  const n = Number(/selected (\d+) of 1751/.exec(s)?.[1]);
  assert.ok(n > 0 && n < 1751);
  const sel = JSON.parse(readFileSync(join(dir, 'aoi_selections', 'iowa_chip_payload.geojson'), 'utf8')) as { features: unknown[] };
  const twin = JSON.parse(readFileSync(join(dir, 'aoi_selections', 'iowa_chip_payload_5070.geojson'), 'utf8')) as { features: unknown[] };
  assert.equal(sel.features.length, n);
  assert.equal(twin.features.length, n);
  // --within: only the chips wholly inside; the default also keeps those across the AOI's edge (select_aoi's rule).
  const strict = Number(/selected (\d+) of 1751/.exec(cli('filter', '--aoi', aoi, '--chips', payload, '--name', 'iowa_within', '--out', dir, '--within'))?.[1]);
  const chips = (await readChipPayload(payload)).chips;
  const ids = (f: string) => (JSON.parse(readFileSync(f, 'utf8')) as { features: { properties: { id: string } }[] }).features.map((x) => x.properties.id);
  const touchIds = ids(join(dir, 'aoi_selections', 'iowa_chip_payload.geojson'));
  const withinIds = ids(join(dir, 'aoi_selections', 'iowa_within_chip_payload.geojson'));
  assert.equal(withinIds.length, strict);
  assert.ok(strict > 0 && strict < n, `${strict} within < ${n} touching`);
  // Independent check on the boxes: a chip across the AOI's border is in the default selection only.
  const across = chips.filter((c) => {
    const r = (c.geometry.type === 'Polygon' ? c.geometry.coordinates[0]! : c.geometry.coordinates[0]![0]!) as number[][];
    const lons = r.map((q) => q[0]!);
    const lats = r.map((q) => q[1]!);
    const inside = (x: number, y: number) => x > -100 && x < -90 && y > 40 && y < 45;
    const corners = lons.map((x, i) => inside(x, lats[i]!));
    return corners.some(Boolean) && !corners.every(Boolean);
  });
  assert.ok(across.length > 0);
  for (const c of across) assert.ok(touchIds.includes(c.id) && !withinIds.includes(c.id), c.id);
  const both = spawnSync(process.execPath, [main, 'chips', 'filter', '--aoi', aoi, '--chips', payload, '--name', 'x', '--out', dir, '--within', '--intersects'], { encoding: 'utf8' });
  assert.match(both.stderr, /--within and --intersects contradict/);
  const bad = spawnSync(process.execPath, [main, 'chips', 'filter', '--aoi', aoi, '--chips', payload, '--name', '../evil', '--out', dir], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /AOI selection name "\.\.\/evil"/);
  const missing = spawnSync(process.execPath, [main, 'chips', 'assign', '--chips', join(dir, 'nope.geojson'), '--grid', KML], { encoding: 'utf8' });
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /nope\.geojson/);
});

test('chips boxes: chips from a CDL GeoTIFF by window; rasterio reads each chosen box as 224 x 224 px without CDL 0', async () => {
  const P = 224;
  const [row0, col0, rows, cols, mx, my] = [40, 300, 2, 3, 37, 11];
  const width = cols * P + mx + 5;
  const height = rows * P + my + 3;
  const codes = [152, 142, 1, 5, 190, 121, 111, 24, 36, 61];
  const data = new Uint8Array(width * height).fill(176);
  for (let y = 0; y < rows * P; y++)
    for (let x = 0; x < cols * P; x++) {
      const cr = Math.floor(y / P);
      const cc = Math.floor(x / P);
      let v = codes[(y * 7 + x) % (8 + cc)]!;
      if (cr === 0 && cc === 0 && y === 5 && x === 9) v = 0; // CDL no data: chip_040_300 must go
      if (cr === 1 && cc === 1) v = 152; // one class: weight 0
      data[(y + my) * width + x + mx] = v;
    }
  const gx = CDL_GRID.x0 + (col0 * P - mx) * 30;
  const gy = CDL_GRID.y0 - (row0 * P - my) * 30;
  const cdl = join(dir, 'cdl.tif');
  await writeGeoTiff(cdl, { width, height, bands: [data], geoTransform: [gx, 30, 0, gy, 0, -30], epsg: 5070, nodata: 0, tiled: true, blockSize: 256 });
  const t = transformer(5070, 4326);
  const ll = [t([gx, gy]), t([gx + width * 30, gy - height * 30])];
  const aoi = join(dir, 'cdl_aoi.geojson');
  const [a, b] = [ll[0]!, ll[1]!];
  writeFileSync(aoi, JSON.stringify({ type: 'Polygon', coordinates: [[[a[0] - 1, b[1] - 1], [b[0] + 1, b[1] - 1], [b[0] + 1, a[1] + 1], [a[0] - 1, a[1] + 1], [a[0] - 1, b[1] - 1]]] }));
  const out = join(dir, 'boxes');
  const s = cli('boxes', '--cdl', cdl, '--aoi', aoi, '--n', '3', '--seed', '3', '--draws', '20000', '--reclass', `${FIX}/chips/cdl_total_dst.csv`, '--name', 'task', '--out', out);
  assert.match(s, /candidates: 5 chips without CDL 0 \(4 with weight > 0\); kept 3 of 3/);
  const p = await readChipPayload(join(out, 'task_chip_payload.geojson'));
  assert.equal(p.twin, 'read');
  assert.equal(p.rejected.length, 0, 'the lon/lat payload and its twin agree');
  assert.equal(p.chips.length, 3);
  assert.ok(!p.chips.some((c) => c.id === 'chip_040_300' || c.id === 'chip_041_301'));
  const weights = readFileSync(join(out, 'task_class_weights.csv'), 'utf8').trim().split('\n');
  assert.equal(weights[0], ',0');
  assert.equal(weights.length, 14);
  // Oracle: rasterio reads every chosen box from the GeoTIFF.
  const py = `import rasterio, json, sys\nfrom rasterio.windows import from_bounds\nout=[]\nwith rasterio.open(sys.argv[1]) as r:\n  for b in json.loads(sys.argv[2]):\n    a=r.read(1, window=from_bounds(*b, transform=r.transform))\n    out.append([a.shape[0], a.shape[1], int((a==0).sum())])\nprint(json.dumps(out))`;
  const r = spawnSync('/usr/bin/python3', ['-c', py, cdl, JSON.stringify(p.chips.map((c) => c.bbox5070))], { encoding: 'utf8' });
  assert.equal(r.status, 0, `rasterio oracle failed (apt-get install -y gdal-bin python3-rasterio): ${r.stderr}`);
  assert.deepEqual(JSON.parse(r.stdout), p.chips.map(() => [224, 224, 0]));
  const again = cli('boxes', '--cdl', cdl, '--aoi', aoi, '--n', '3', '--seed', '3', '--draws', '20000', '--reclass', `${FIX}/chips/cdl_total_dst.csv`, '--name', 'task2', '--out', out);
  assert.match(again, /kept 3/);
  assert.equal(readFileSync(join(out, 'task2_chip_payload_5070.geojson'), 'utf8'), readFileSync(join(out, 'task_chip_payload_5070.geojson'), 'utf8'), 'same seed, same chips');
});
