import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readS2GridKml, parseDescriptionTable, type S2Tile } from './s2-grid-kml.ts';
import { defaultCachePath, gridFromCache, loadS2Grid } from './s2-grid-cache.ts';
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { replicateKml } from './synthetic-grid.ts';
import { GRID_GEOJSON, GRID_KML, GRID_PARQUET } from './test-helpers.ts';

interface GridFeature {
  properties: { tile: string; epsg: number; utm_bounds: string; center: { coordinates: [number, number] } };
  geometry: { type: 'Polygon' | 'MultiPolygon'; coordinates: number[][][] | number[][][][] };
}

const r10 = (v: number) => Math.round(v * 1e10) / 1e10;

async function fixtureTiles(): Promise<Map<string, GridFeature>> {
  const doc = JSON.parse(await readFile(GRID_GEOJSON, 'utf8')) as { features: GridFeature[] };
  return new Map(doc.features.map((f) => [f.properties.tile, f]));
}

function checkAgainstFixture(t: S2Tile, f: GridFeature): void {
  assert.equal(t.epsg, f.properties.epsg, `${t.name} epsg`);
  const ub = f.properties.utm_bounds.replace(/[()]/g, '').split(',').map(Number);
  assert.deepEqual(t.footprintUtm, ub, `${t.name} footprint`);
  assert.deepEqual(t.center, f.properties.center.coordinates.map(r10), `${t.name} centre`);
  const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates as number[][][]] : (f.geometry.coordinates as number[][][][]);
  assert.deepEqual(
    t.parts,
    polys.map((p) => (p[0] as number[][]).map((q) => [r10(q[0] as number), r10(q[1] as number)])),
    `${t.name} parts`,
  );
}

test('reads every Placemark of the ESA-layout KML with the real grid values', async () => {
  const tiles = await readS2GridKml(GRID_KML);
  assert.equal(tiles.length, 466);
  const fx = await fixtureTiles();
  for (const t of tiles) {
    if (t.name === '01SBU') continue; // only in the KML (an ocean tile)
    const f = fx.get(t.name);
    assert.ok(f, `${t.name} in the GeoJSON fixture`);
    checkAgainstFixture(t, f);
  }
  const sbu = tiles.find((t) => t.name === '01SBU');
  assert.deepEqual(sbu?.footprintUtm, [199980, 3790200, 309780, 3900000]);
  assert.equal(sbu?.epsg, 32601);
  assert.equal(sbu?.parts.length, 2);
  assert.deepEqual(sbu?.center, [-179.6767205351, 34.7185994399]);
});

test('the KML values equal the real GeoParquet converted from the ESA file (GDAL read)', async () => {
  const pq = await loadS2Grid(GRID_PARQUET);
  assert.equal(pq.length, 20_430);
  const byName = new Map(pq.map((t) => [t.name, t]));
  assert.ok(!byName.has('01SBU'), 'ocean tile: not in the LAND file');
  const kml = await readS2GridKml(GRID_KML);
  let compared = 0;
  for (const t of kml) {
    const p = byName.get(t.name);
    if (!p) continue;
    compared++;
    assert.equal(t.epsg, p.epsg, t.name);
    assert.deepEqual(t.footprintUtm, p.footprintUtm, t.name);
    assert.deepEqual(t.center, p.center.map(r10), t.name);
    assert.deepEqual(t.parts, p.parts.map((r) => r.map((q) => [r10(q[0]), r10(q[1])])), t.name);
  }
  assert.equal(compared, 465);
});

test('description table parsing', () => {
  const html =
    'TILE PROPERTIES<br><table><tr><td align="right"><font COLOR="#000000"><b>EPSG</b></font></td><td bgcolor="#E4E6CA"> <font COLOR="#008000">32615</font></td></tr>' +
    '<tr><td><font><b>UTM_WKT</b></font></td><td> <font COLOR="#008000">MULTIPOLYGON(((1 2,3 4)))</font></td></tr></table>';
  const m = parseDescriptionTable(html);
  assert.equal(m.get('EPSG'), '32615');
  assert.equal(m.get('UTM_WKT'), 'MULTIPOLYGON(((1 2,3 4)))');
});

test('malformed KML: the error names the file and the placemark', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'geo-kml-'));
  try {
    const src = await readFile(GRID_KML, 'utf8');
    const cases: [string, (s: string) => string, RegExp][] = [
      ['no-wkt', (s) => s.replace('<b>UTM_WKT</b>', '<b>UTM_WKX</b>'), /Placemark #1 \(13SDA\): description UTM_WKT null/],
      ['bad-epsg', (s) => s.replace('32613</font>', '4326</font>'), /Placemark #1 \(13SDA\): description EPSG "4326" is not a UTM/],
      ['bad-coords', (s) => s.replace('-106.1385290788,37.9420809161,0', 'x,y,0'), /Placemark #2 \(13SDB\): Polygon 1 has no valid outer ring/],
      ['bad-xml', (s) => s.replace('<name>13SDC</name>', '<name>13SDC</nam>'), /Placemark #3: malformed XML: <\/nam> closes <name>/],
      ['unclosed-tag', (s) => s.replace('<Snippet maxLines="0"></Snippet>', '<Snippet maxLines="0">'), /Placemark #1: malformed XML: <\/Placemark> closes <Snippet>/],
      ['no-point', (s) => s.replace(/<Point>.*?<\/Point>/, ''), /Placemark #1 \(13SDA\): no centre <Point>/],
      ['truncated', (s) => s.slice(0, s.lastIndexOf('</Placemark>')), /Placemark #466 is not closed/],
      ['empty', () => '<kml><Document></Document></kml>', /no Placemark found/],
    ];
    for (const [name, edit, re] of cases) {
      const f = join(dir, `${name}.kml`);
      await writeFile(f, edit(src));
      await assert.rejects(readS2GridKml(f), (e: Error) => {
        assert.match(e.message, re, name);
        assert.ok(e.message.startsWith(`${f}: `), `${name}: names the file: ${e.message}`);
        return true;
      });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('compact cache: written once, reused, equal to the KML parse', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'geo-cache-'));
  try {
    const cache = join(dir, 'grid.json');
    const a = await loadS2Grid(GRID_KML, { cacheFile: cache });
    const c = gridFromCache(await readFile(cache, 'utf8'), cache);
    assert.deepEqual(c.tiles, a);
    assert.equal(c.source?.size, (await stat(GRID_KML)).size);
    assert.deepEqual(await loadS2Grid(cache), a);
    // A cache whose source stamp does not match is ignored and rebuilt.
    const doc = JSON.parse(await readFile(cache, 'utf8')) as { source: { size: number }; tiles: unknown[] };
    doc.source.size = 1;
    doc.tiles = [];
    await writeFile(cache, JSON.stringify(doc));
    assert.equal((await loadS2Grid(GRID_KML, { cacheFile: cache })).length, 466);
    assert.equal(gridFromCache(await readFile(cache, 'utf8'), cache).tiles.length, 466);
    // The default cache lives in the temp dir: the KML's folder is never written to.
    const before = readdirSync(dirname(GRID_KML)).sort();
    assert.ok(defaultCachePath(GRID_KML).startsWith(tmpdir()));
    assert.equal((await loadS2Grid(GRID_KML)).length, 466);
    assert.deepEqual(readdirSync(dirname(GRID_KML)).sort(), before);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a full-size 108 MB, 56,686-Placemark KML parses completely', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'geo-bigkml-'));
  try {
    const f = join(dir, 'sentinel_tile_grid.kml');
    const bytes = await replicateKml(GRID_KML, f, 56_686, 108_817_408);
    assert.equal(bytes, 108_817_408);
    const small = await readS2GridKml(GRID_KML);
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const tiles = await readS2GridKml(f);
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `108 MB KML: ${tiles.length} placemarks in ${secs.toFixed(2)} s; rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB (before ${(rssBefore / 1e6).toFixed(0)} MB), max rss ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
    );
    assert.equal(tiles.length, 56_686);
    for (const i of [0, 1, 465, 466, 30_000, 56_685]) assert.deepEqual(tiles[i], small[i % small.length], `placemark ${i}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
