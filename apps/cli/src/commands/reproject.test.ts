import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { hlsUtmWkt, readRasterWindow, utmEpsg, writeGeoTiff } from '@hls/raster';
import { defaultReprojectOutput } from './reproject.ts';
import { sparseHugeGeoTiff } from '@hls/raster/testing';

const dir = mkdtempSync(join(tmpdir(), 'cli-reproject-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const main = join(import.meta.dirname, '..', 'main.ts');

test('default output name gets a _5070 suffix', () => {
  assert.equal(defaultReprojectOutput('/a/b/X.B04.tif'), '/a/b/X.B04_5070.tif');
  assert.equal(defaultReprojectOutput('x.TIFF'), 'x_5070.TIFF');
});

test('hls-chips reproject writes a CDL-grid GeoTIFF next to the input, or at --out with nearest', async () => {
  const input = join(dir, 'band.tif');
  const n = 120;
  await writeGeoTiff(input, { width: n, height: n, bands: [new Uint8Array(n * n).map((_, i) => (i % 5) * 10)], geoTransform: [600000, 30, 0, 4800000, 0, -30], epsg: utmEpsg(14), nodata: 255 });
  const out1 = JSON.parse(execFileSync(process.execPath, [main, 'reproject', input], { encoding: 'utf8' })) as { output: string; width: number };
  assert.equal(out1.output, join(dir, 'band_5070.tif'));
  assert.ok(existsSync(out1.output));
  const r = await readRasterWindow(out1.output);
  assert.equal(r.epsg, 5070);
  assert.equal(r.width, out1.width);
  const out2 = join(dir, 'x', 'near.tif');
  execFileSync(process.execPath, [main, 'reproject', input, '--out', out2, '--resampling', 'nearest', '--extent', 'padded'], { encoding: 'utf8' });
  const nn = await readRasterWindow(out2);
  assert.ok(nn.bands[0]!.every((v) => v % 10 === 0 || v === 255));
  assert.ok(nn.width > r.width);
  assert.throws(() => execFileSync(process.execPath, [main, 'reproject', input, '--resampling', 'cubic'], { encoding: 'utf8', stdio: 'pipe' }), /must be one of/);
});

test('hls-chips reproject on a band re-written by gdal_translate with the HLS user-defined UTM WKT: same output as its EPSG twin', async () => {
  const n = 200;
  const twin = join(dir, 'twin.tif');
  const band = new Int16Array(n * n).map((_, i) => 1000 + ((i * 37) % 4000));
  await writeGeoTiff(twin, { width: n, height: n, bands: [band], geoTransform: [600000, 30, 0, 4800000, 0, -30], epsg: utmEpsg(15), nodata: -9999 });
  const hls = join(dir, 'hls.tif');
  execFileSync('gdal_translate', ['-q', '-a_srs', hlsUtmWkt(15), '-co', 'COMPRESS=DEFLATE', twin, hls]);
  const a = JSON.parse(execFileSync(process.execPath, [main, 'reproject', hls], { encoding: 'utf8' })) as { output: string; bbox5070: number[] };
  const b = JSON.parse(execFileSync(process.execPath, [main, 'reproject', twin], { encoding: 'utf8' })) as { output: string; bbox5070: number[] };
  assert.deepEqual(a.bbox5070, b.bbox5070);
  const ra = await readRasterWindow(a.output);
  const rb = await readRasterWindow(b.output);
  assert.equal(ra.epsg, 5070);
  assert.deepEqual(ra.geoTransform, rb.geoTransform);
  assert.ok(Buffer.from(ra.bands[0]!.buffer).equals(Buffer.from(rb.bands[0]!.buffer)), 'same pixels as the EPSG twin');
});

test('hls-chips reproject refuses a sparse 100,000 x 100,000 Int16 GeoTIFF in one line (issue 15), and the cap is a config key', () => {
  const big = join(dir, 'sparse.tif');
  sparseHugeGeoTiff(big);
  const r = spawnSync(process.execPath, [main, 'reproject', big], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^hls-chips: .*sparse\.tif: the input of 100000 x 100000 pixels x 1 band\(s\) is over the limit of 53582400 pixels x bands \(limits\.max_raster_pixels; an HLS band is 3660 x 3660\)$/);
  assert.ok(!existsSync(join(dir, 'sparse_5070.tif')));

  // A lower cap from a config file refuses an ordinary band too.
  const small = join(dir, 'band.tif');
  const cfg = join(dir, 'limits.yaml');
  writeFileSync(cfg, 'limits:\n  max_raster_pixels: 1000\n');
  const c = spawnSync(process.execPath, [main, 'reproject', small, '--config', cfg, '--out', join(dir, 'capped.tif')], { encoding: 'utf8' });
  assert.equal(c.status, 1, c.stderr);
  assert.match(c.stderr, /band\.tif: the input of 120 x 120 pixels x 1 band\(s\) is over the limit of 1000 pixels x bands/);
  const bad = spawnSync(process.execPath, [main, 'reproject', small, '--config', cfg], { encoding: 'utf8', env: { ...process.env, HLS_LIMITS__MAX_RASTER_PIXELS: 'lots' } });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /limits\.max_raster_pixels/);
  // The environment alone sets it too (no config file: the command checks for one before loading the config).
  const fromEnv = spawnSync(process.execPath, [main, 'reproject', small, '--out', join(dir, 'capped-env.tif')], { encoding: 'utf8', env: { ...process.env, HLS_LIMITS__MAX_RASTER_PIXELS: '1000' } });
  assert.equal(fromEnv.status, 1, fromEnv.stderr);
  assert.match(fromEnv.stderr, /over the limit of 1000 pixels x bands/);
});
