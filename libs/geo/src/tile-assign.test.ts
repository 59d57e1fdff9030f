import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATASET_FILES, type BBox, type ChipId } from '@hls/contracts';
import { readChipPayload } from './chip-payload.ts';
import { readS2GridKml, type S2Tile } from './s2-grid-kml.ts';
import { areaCentroid, assignTiles, buildTileIndex, chooseTile } from './tile-assign.ts';
import { indexChips, tileSearchGeometry, writeChipIndexFiles } from './chip-index.ts';
import { snapX, snapY } from './cdl-grid.ts';
import { transformer } from './crs.ts';
import { spawnSync } from 'node:child_process';
import { CHIPS_4326, GRID_KML, GRID_PARQUET, gdalTransform, requireTool } from './test-helpers.ts';
import { loadS2Grid } from './s2-grid-cache.ts';

const corners = (b: BBox): [number, number][] => [
  [b[0], b[1]],
  [b[0], b[3]],
  [b[2], b[1]],
  [b[2], b[3]],
];

test('all 1,751 real chips get a tile that contains them (GDAL checks the containment)', async () => {
  const grid = await readS2GridKml(GRID_KML);
  const p = await readChipPayload(CHIPS_4326);
  const choices = assignTiles(buildTileIndex(grid), p.chips);
  assert.equal(choices.filter((c) => c.tile < 0).length, 0);
  // Oracle: chip corners EPSG:5070 -> lon/lat -> tile UTM with gdaltransform, per UTM zone.
  const ll = gdalTransform(p.chips.flatMap((c) => corners(c.bbox5070)), 5070, 4326);
  const byEpsg = new Map<number, number[]>();
  choices.forEach((c, i) => {
    const e = (grid[c.tile] as S2Tile).epsg;
    byEpsg.set(e, [...(byEpsg.get(e) ?? []), i]);
  });
  for (const [epsg, idx] of byEpsg) {
    const utm = gdalTransform(idx.flatMap((i) => ll.slice(4 * i, 4 * i + 4)), 4326, epsg);
    idx.forEach((ci, k) => {
      const tile = grid[choices[ci]!.tile] as S2Tile;
      const [minX, minY, maxX, maxY] = tile.footprintUtm;
      for (const [x, y] of utm.slice(4 * k, 4 * k + 4)) {
        assert.ok(x >= minX && x <= maxX && y >= minY && y <= maxY, `${p.chips[ci]!.id} corner (${x}, ${y}) outside ${tile.name}`);
      }
    });
  }
  // Each choice is the nearest-centroid tile among all tiles that contain the chip (brute force over the grid).
  const toUtm = (e: number) => transformer(4326, e);
  const to5070 = transformer(4326, 5070);
  for (let i = 0; i < p.chips.length; i += 7) {
    const chip = p.chips[i]!;
    const cornersLl = ll.slice(4 * i, 4 * i + 4);
    const [cx, cy] = to5070(chip.center);
    let best = '';
    let bestD = Infinity;
    for (const t of grid) {
      const f = t.footprintUtm;
      if (!cornersLl.every((q) => { const u = toUtm(t.epsg)(q); return u[0] >= f[0] && u[0] <= f[2] && u[1] >= f[1] && u[1] <= f[3]; })) continue;
      const c = to5070(areaCentroid(t.parts));
      const d = Math.hypot(c[0] - cx, c[1] - cy);
      if (d < bestD) [best, bestD] = [t.name, d];
    }
    assert.equal(grid[choices[i]!.tile]!.name, best, chip.id);
  }
  assert.ok(!choices.some((c) => grid[c.tile]!.name === '01SBU'));
});

/** Polygon centroids of KML placemarks as GDAL/GEOS computes them (what geopandas' .centroid gives the original). */
function ogrCentroids(kml: string, names: readonly string[]): Map<string, [number, number]> {
  const layer = spawnSync('ogrinfo', ['-ro', '-q', kml], { encoding: 'utf8' }).stdout.split('\n')[0]!.replace(/^1: /, '').replace(/ \(.*$/, '');
  const sql = `SELECT Name, ST_X(ST_Centroid(geometry)) AS x, ST_Y(ST_Centroid(geometry)) AS y FROM "${layer}" WHERE Name IN (${names.map((n) => `'${n}'`).join(',')})`;
  const r = spawnSync('ogrinfo', ['-ro', '-q', '-dialect', 'SQLite', '-sql', sql, kml], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ogrinfo failed: ${r.stderr}`);
  const out = new Map<string, [number, number]>();
  for (const block of r.stdout.split('OGRFeature').slice(1)) {
    const name = /Name \(String\) = (\S+)/.exec(block)?.[1];
    const x = /x \(Real\) = (\S+)/.exec(block)?.[1];
    const y = /y \(Real\) = (\S+)/.exec(block)?.[1];
    if (name && x && y) out.set(name, [Number(x), Number(y)]);
  }
  return out;
}

test('tile ranking follows the original: nearest polygon centroid, not the KML Point (real chip_111_401)', async () => {
  requireTool('ogrinfo');
  const grid = await readS2GridKml(GRID_KML);
  const p = await readChipPayload(CHIPS_4326);
  const chip = p.chips.find((c) => c.id === 'chip_111_401')!;
  const index = buildTileIndex(grid);
  const choice = chooseTile(index, chip);
  assert.equal(choice.containing, 2);
  // The two tiles that contain it; the original's rule, with GDAL as the oracle: the chip's `center` and the
  // GEOS centroid of each KML polygon projected to EPSG:5070, nearest wins.
  const names = ['15TWK', '15TXK'];
  const centroids = ogrCentroids(GRID_KML, names);
  const [c5070, ...t5070] = gdalTransform([chip.center, ...names.map((n) => centroids.get(n)!)], 4326, 5070);
  const byCentroid = names.map((n, i) => ({ n, d: Math.hypot(t5070[i]![0] - c5070![0], t5070[i]![1] - c5070![1]) })).sort((a, b) => a.d - b.d);
  // ... while the KML <Point>s rank them the other way round: this is a chip on which the two rules disagree.
  const points = gdalTransform(names.map((n) => grid.find((t) => t.name === n)!.center), 4326, 5070);
  const byPoint = names.map((n, i) => ({ n, d: Math.hypot(points[i]![0] - c5070![0], points[i]![1] - c5070![1]) })).sort((a, b) => a.d - b.d);
  assert.notEqual(byPoint[0]!.n, byCentroid[0]!.n);
  assert.equal(grid[choice.tile]!.name, byCentroid[0]!.n);
  assert.equal(grid[choice.tile]!.name, '15TXK');
  assert.ok(Math.abs(choice.distance - byCentroid[0]!.d) < 1, `distance ${choice.distance} vs GDAL ${byCentroid[0]!.d}`);
});

test('against the real world LAND grid (20,430 tiles, GeoParquet) the real chips get the same tiles', async () => {
  const [kml, world] = [await readS2GridKml(GRID_KML), await loadS2Grid(GRID_PARQUET)];
  const p = await readChipPayload(CHIPS_4326);
  const a = assignTiles(buildTileIndex(kml), p.chips).map((c) => kml[c.tile]!.name);
  const b = assignTiles(buildTileIndex(world), p.chips).map((c) => world[c.tile]?.name);
  assert.deepEqual(b, a);
});

test('the 01SBU trap: its averaged centroid is in Oklahoma, yet it catches no chip', async () => {
  const grid = await readS2GridKml(GRID_KML);
  const sbu = grid.find((t) => t.name === '01SBU')!;
  const [lon, lat] = areaCentroid(sbu.parts);
  assert.ok(lon > -97.5 && lon < -96 && lat > 34 && lat < 35.5, `01SBU centroid ${lon}, ${lat}`);
  const index = buildTileIndex(grid);
  // A chip on the CDL grid right at that centroid: the naive rule picks 01SBU, the containment rule never does.
  const c = transformer(4326, 5070)([lon, lat]);
  const x = snapX(c[0]);
  const y = snapY(c[1]);
  const chip = { id: 'chip_trap' as ChipId, bbox5070: [x - 3360, y - 3360, x + 3360, y + 3360] as BBox };
  const ch = chooseTile(index, chip);
  assert.equal(grid[ch.naiveTile]?.name, '01SBU');
  assert.notEqual(ch.tile >= 0 ? grid[ch.tile]!.name : null, '01SBU');
  // It goes to the real zone-14 tile that contains it (GDAL checks the corners).
  const tile = grid[ch.tile]!;
  assert.match(tile.name, /^14S/);
  const utm = gdalTransform(gdalTransform(corners(chip.bbox5070), 5070, 4326), 4326, tile.epsg);
  const f = tile.footprintUtm;
  for (const [ux, uy] of utm) assert.ok(ux >= f[0] && ux <= f[2] && uy >= f[1] && uy <= f[3], `trap chip corner outside ${tile.name}`);
  const p = await readChipPayload(CHIPS_4326);
  const naiveWrong = assignTiles(index, p.chips).filter((x) => x.naiveTile >= 0 && grid[x.naiveTile]!.name === '01SBU');
  assert.equal(naiveWrong.length, 0);
});

test('chip index end to end: files written and read back', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'geo-index-'));
  try {
    const r = await indexChips(CHIPS_4326, GRID_KML, { cacheFile: false });
    assert.equal(r.assigned.length, 1751);
    assert.equal(r.rejected.length, 0);
    assert.equal(r.tiles.reduce((s, t) => s + t.chipIds.length, 0), 1751);
    const files = await writeChipIndexFiles(dir, r);
    assert.deepEqual(files.map((f) => f.slice(dir.length + 1)), [DATASET_FILES.chipsId, DATASET_FILES.chipsTable, DATASET_FILES.tileChoiceReport]);
    const ids = JSON.parse(await readFile(join(dir, DATASET_FILES.chipsId), 'utf8')) as string[];
    assert.equal(ids.length, 1751);
    assert.equal(ids[0], 'chip_085_328');
    const rows = (await readFile(join(dir, DATASET_FILES.chipsTable), 'utf8')).trim().split('\n');
    assert.equal(rows[0], 'chip_id,chip_x,chip_y,tile');
    assert.equal(rows.length, 1752);
    const [id, x, y, tile] = rows[1]!.split(',');
    assert.equal(id, 'chip_085_328');
    assert.equal(Number(x), -97.92577178518833);
    assert.equal(Number(y), 46.3576747215992);
    assert.equal(tile, r.assigned[0]!.tile.name);
    const report = (await readFile(join(dir, DATASET_FILES.tileChoiceReport), 'utf8')).trim().split('\n');
    assert.equal(report[0], 'chip_id,tile,distance_m,naive_tile,naive_distance_m');
    const differ = r.assigned.filter((a) => a.naiveTile?.name !== a.tile.name);
    assert.equal(report.length - 1, differ.length);
    for (const line of report.slice(1)) {
      const [, t, , n] = line.split(',');
      assert.notEqual(t, n);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('search geometry: the UTM footprint in lon/lat, continuous across the antimeridian', async () => {
  const grid = await readS2GridKml(GRID_KML);
  const t = grid.find((g) => g.name === '13SDA')!;
  const g = tileSearchGeometry(t);
  const ring = g.coordinates[0]!;
  assert.deepEqual(ring[0], ring[ring.length - 1]);
  const want = gdalTransform([[399960, 4100040]], 32613, 4326)[0]!;
  assert.ok(Math.abs(ring[0]![0] - want[0]) < 1e-9 && Math.abs(ring[0]![1] - want[1]) < 1e-9);
  const sbu = tileSearchGeometry(grid.find((x) => x.name === '01SBU')!);
  const lons = sbu.coordinates[0]!.map((p) => p[0]);
  assert.ok(Math.max(...lons) - Math.min(...lons) < 2, 'no jump across the globe');
});
