import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CDL_GRID } from '@hls/contracts';
import { cdlWindowFor, coordGrid, exactPixelTransform, interpolate, snapToCdlGrid, utmEpsg, warpBand } from './index.ts';
import type { GeoTransform } from './index.ts';
import { rng } from './testing/fixtures.ts';

const HLS_GT: GeoTransform = [699960, 30, 0, 4400040, 0, -30];
const tile = { width: 3660, height: 3660, geoTransform: HLS_GT, epsg: utmEpsg(17) };

test('snapping goes outward to CDL pixel edges and keeps edges already on the grid', () => {
  const w = snapToCdlGrid(-2356095 + 30 * 100 + 1, 3172605 - 30 * 200 - 5, -2356095 + 30 * 150, 3172605 - 30 * 120 - 0.5);
  assert.equal(w.minX, -2356095 + 30 * 100);
  assert.equal(w.width, 50);
  assert.equal(w.maxY, 3172605 - 30 * 120);
  assert.equal(w.height, 81);
  assert.equal(w.epsg, CDL_GRID.epsg);
});

test('footprint window contains the transformed tile; padded is about twice as wide', () => {
  const f = cdlWindowFor(tile, 'footprint');
  const p = cdlWindowFor(tile, 'padded');
  assert.ok(f.width > 3660 && f.width < 4300, `width ${f.width}`);
  assert.ok(p.width > 1.9 * f.width && p.width < 2.2 * f.width, `padded ${p.width} vs ${f.width}`);
  assert.ok(p.minX < f.minX && p.maxY > f.maxY);
});

test('interpolated transform stays within the bound at random points (sampled, not only where the grid checks)', () => {
  const dst = cdlWindowFor(tile, 'footprint');
  for (const bound of [0.05, 0.0001]) {
    const g = coordGrid(tile, dst, bound);
    const exact = exactPixelTransform(tile, dst);
    const r = rng(7);
    let worst = 0;
    for (let i = 0; i < 20000; i++) {
      const ix = Math.floor(r() * dst.width);
      const iy = Math.floor(r() * dst.height);
      const [ex, ey] = exact(ix + 0.5, iy + 0.5);
      const [ax, ay] = interpolate(g, ix, iy);
      worst = Math.max(worst, Math.hypot(ax - ex, ay - ey));
    }
    assert.ok(worst <= bound, `bound ${bound}: worst sampled error ${worst} (step ${g.step})`);
  }
});

test('bilinear never mixes nodata in: renormalises over valid neighbours; nearest copies values', () => {
  // A source on the same grid as the destination, shifted by half a pixel so every output blends 4 inputs.
  const W = 8;
  const data = new Int16Array(W * W).map((_, i) => 1000 + i);
  data[3 * W + 3] = -9999;
  const gt: GeoTransform = [CDL_GRID.x0 + 15, 30, 0, CDL_GRID.y0 - 15, 0, -30];
  const src = { width: W, height: W, data, dtype: 'int16' as const, geoTransform: gt, epsg: 5070, nodata: -9999 };
  const dst = { epsg: 5070, minX: CDL_GRID.x0 + 30, maxY: CDL_GRID.y0 - 30, width: 6, height: 6, pixelSize: 30 };
  const out = warpBand(src, dst, { resampling: 'bilinear' });
  // Destination pixel (2,2) has centre at source position (3, 3) in pixel-edge space: neighbours (2..3, 2..3).
  // Its centre pixel (3,3) is nodata, so it stays nodata.
  assert.equal(out[2 * 6 + 2], -9999);
  // Destination (1,1): centre at source (2,2) edge space -> pixel (2,2) valid; neighbours (1..2,1..2) all valid: plain mean.
  const mean = (a: number, b: number, c: number, d: number) => Math.floor((a + b + c + d) / 4 + 0.5);
  assert.equal(out[1 * 6 + 1], mean(data[1 * W + 1]!, data[1 * W + 2]!, data[2 * W + 1]!, data[2 * W + 2]!));
  // Destination (3,3): centre at source (4,4) -> pixel (4,4) valid; neighbour (3,3) is nodata: mean of the other three.
  assert.equal(out[3 * 6 + 3], Math.floor((data[3 * W + 4]! + data[4 * W + 3]! + data[4 * W + 4]!) / 3 + 0.5));
  const nn = warpBand(src, dst, { resampling: 'nearest' });
  assert.equal(nn[1 * 6 + 1], data[2 * W + 2]);
  assert.equal(nn[2 * 6 + 2], -9999);
});
