import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import { writeGranuleDirectory } from '@hls/stac';
import { REAL_FIXTURES } from '@hls/common';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'cli-scenes-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const main = join(import.meta.dirname, '..', 'main.ts');
const REAL = `${REAL_FIXTURES}/hls-metadata`;

test('scenes inspect prints a real ECHO10 granule, and exits 1 for a feed whose entries lack spatial coverage', () => {
  const out = execFileSync(process.execPath, [main, 'scenes', 'inspect', join(REAL, 'echo10_cmr-concept_G2963019115-LPCLOUD_HLS.L30.T06WVS.2024120T211159.v2.0.xml')], { encoding: 'utf8' });
  assert.match(out, /^granule\s+HLS\.L30\.T06WVS\.2024120T211159\.v2\.0$/m);
  assert.match(out, /^cloud cover\s+6$/m);
  assert.match(out, /^coverage\s+100$/m);
  assert.match(out, /s3\s+s3:\/\/lp-prod-protected\/HLSL30\.020\/HLS\.L30\.T06WVS\.2024120T211159\.v2\.0\/HLS\.L30\.T06WVS\.2024120T211159\.v2\.0\.Fmask\.tif/);
  let code = 0;
  let stdout = '';
  try {
    execFileSync(process.execPath, [main, 'scenes', 'inspect', '--json', join(REAL, 'cmr_granules.json_search_HLSS30_page1.json')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    code = (e as { status: number }).status;
    stdout = (e as { stdout: string }).stdout;
  }
  assert.equal(code, 1);
  const doc = JSON.parse(stdout) as { scenes: unknown[]; incomplete: { missing: string[] }[] };
  assert.equal(doc.incomplete.length, 22);
  assert.deepEqual(doc.incomplete[0]!.missing, ['spatialCoverage']);
});

test('stac serve + scenes search --select --write over HTTP, with a 429 on the way', async () => {
  const granules = join(dir, 'granules');
  const fp: [number, number][] = [[-94.2, 42.4], [-92.9, 42.4], [-92.9, 41.4], [-94.2, 41.4]];
  await writeGranuleDirectory(
    granules,
    [100, 130, 160, 190, 220].map((d, i) => ({ granuleId: `HLS.S30.T15TVG.2022${d}T170851.v2.0`, cloudCover: i === 2 ? 50 : i, spatialCoverage: 100, footprint: fp })),
    { 'HLS.S30.T15TVG.2022190T170851.v2.0.B02.tif': 'bafybeib77f7bspur2pekd4nbodseysl2cdf5zsm4smtp25pi625smg3hzy' },
  );
  const server = spawn(process.execPath, [main, 'stac', 'serve', '--dir', granules, '--max-page-size', '2', '--fault-429', '1', '--retry-after', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server.stdout! }).once('line', resolve);
      server.once('exit', (c) => reject(new Error(`stac serve exited ${c}`)));
    });
    const info = JSON.parse(line) as { url: string; granules: number };
    assert.equal(info.granules, 5);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `data_dir: ${join(dir, 'data')}\ntrain_dataset_name: ds\n`);
    const { stdout, stderr } = await run(process.execPath, [
      main, 'scenes', 'search', '--tile', '15TVG', '--config', config, '--url', `${info.url}/stac/LPCLOUD`, '--bbox', '-93.8,41.8,-93.2,42.2',
      '--from', '2022-04-01', '--to', '2022-08-31', '--select', '--write',
    ]);
    assert.match(stderr, /rate-limited: .*\/stac\/LPCLOUD\/search \(HTTP 429\), waiting 1000 ms/);
    const r = JSON.parse(stdout) as { scenes: { granuleId: string; spatialCoverage: number }[]; selection: { ok: boolean; granuleIds: string[] }; written: string[] };
    // doy 220 is Aug 8: in; all five are in the window; doy 160 is cloudy.
    assert.equal(r.scenes.length, 5);
    assert.ok(r.scenes.every((s) => s.spatialCoverage === 100));
    assert.deepEqual(r.selection.granuleIds, ['HLS.S30.T15TVG.2022100T170851.v2.0', 'HLS.S30.T15TVG.2022130T170851.v2.0', 'HLS.S30.T15TVG.2022220T170851.v2.0']);
    const csv = readFileSync(join(dir, 'data', 'training_datasets', 'ds', 'selected_tiles.csv'), 'utf8');
    assert.equal(csv.trim().split('\n').length, 4);
    assert.ok(r.written.some((f) => f.endsWith('tile_payloads.json')));
  } finally {
    server.kill('SIGTERM');
  }
});

test('identify: real chips and grid, a local granule directory; one tile selected, one rejected', async () => {
  const granules = join(dir, 'identify-granules');
  // Scenes whose footprint is irrelevant here: the directory source filters by tile id.
  await writeGranuleDirectory(granules, [
    ...[100, 150, 200, 250].map((d) => ({ granuleId: `HLS.S30.T15TVG.2022${d}T170851.v2.0`, cloudCover: 1, spatialCoverage: 95 })),
    ...[100, 150].map((d) => ({ granuleId: `HLS.S30.T14TQL.2022${d}T170851.v2.0`, cloudCover: 1, spatialCoverage: 100 })),
  ]);
  const ds = join(dir, 'identify-ds');
  const { stdout } = await run(process.execPath, [
    main, 'identify', '--payload', `${REAL_FIXTURES}/chips/midwest_crops_chip_payload.geojson`,
    '--grid', `${REAL_FIXTURES}/s2-grid/sentinel_tile_grid_subset.reconstructed.kml`, '--dir', granules, '--dataset', ds,
    '--tile', '15TVG', '--tile', '14TQL',
  ]);
  const s = JSON.parse(stdout) as { tiles: number; selected: number; rejected: { tile: string; chips: number; reason: string }[] };
  assert.equal(s.tiles, 2);
  assert.equal(s.selected, 1);
  assert.deepEqual(s.rejected.map((x) => [x.tile, x.reason]), [['14TQL', 'no-scenes']]);
  assert.ok(s.rejected[0]!.chips > 0);
  const csv = readFileSync(join(ds, 'selected_tiles.csv'), 'utf8').trim().split('\n');
  assert.deepEqual(csv.slice(1).map((l) => l.split(',')[0]), ['HLS.S30.T15TVG.2022100T170851.v2.0', 'HLS.S30.T15TVG.2022150T170851.v2.0', 'HLS.S30.T15TVG.2022250T170851.v2.0']);
});
