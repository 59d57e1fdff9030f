import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readRasterWindow, utmEpsg, writeGeoTiff } from '@hls/raster';
import { defaultReprojectOutput } from './reproject.ts';

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
