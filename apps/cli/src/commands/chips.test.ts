import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const FIX = '/work/shared/fixtures/real';
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
  assert.ok(!existsSync(`${KML}.grid.json`), '--no-cache leaves the fixture folder alone');
});

test('chips to-5070 writes the twin the original shipped, byte for byte; filter writes a selection', () => {
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
  const bad = spawnSync(process.execPath, [main, 'chips', 'filter', '--aoi', aoi, '--chips', payload, '--name', '../evil', '--out', dir], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /AOI selection name "\.\.\/evil"/);
  const missing = spawnSync(process.execPath, [main, 'chips', 'assign', '--chips', join(dir, 'nope.geojson'), '--grid', KML], { encoding: 'utf8' });
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /nope\.geojson/);
});
