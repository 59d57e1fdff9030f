// Deterministic synthetic rasters for tests: smooth fields with texture, so bilinear and nearest
// differ, and rectangular/irregular nodata areas.
import { createHash } from 'node:crypto';
import type { TypedArray } from '../types.ts';
import { seededRandom } from '@hls/common';

/** The shared seeded generator (mulberry32). */
export const rng = seededRandom;

/** Int16 reflectance-like band: 0..~9000 smooth field + noise, nodata in a corner wedge and a hole. */
export function reflectanceBand(width: number, height: number, seed: number, nodata = -9999): Int16Array {
  const r = rng(seed);
  const out = new Int16Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = 3000 + 2500 * Math.sin(x / 37 + seed) * Math.cos(y / 53) + 800 * Math.sin((x + y) / 11) + r() * 400;
      out[y * width + x] = Math.round(v);
    }
  }
  // A nodata wedge in the top-left (like a swath edge) and a rectangular hole.
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (x + 2 * y < width / 3) out[y * width + x] = nodata;
      if (x > width * 0.6 && x < width * 0.7 && y > height * 0.4 && y < height * 0.55) out[y * width + x] = nodata;
    }
  }
  return out;
}

/** UInt8 Fmask-like band: patches of a few class values, 255 where the reflectance band is nodata. */
export function fmaskBand(width: number, height: number, seed: number, like?: Int16Array): Uint8Array {
  const values = [0, 64, 66, 2, 128, 8, 32, 100];
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = Math.floor(x / 7 + seed) * 31 + Math.floor(y / 5) * 17 + ((x * y) % 3);
      out[y * width + x] = values[Math.abs(k) % values.length]!;
      if (like && like[y * width + x] === -9999) out[y * width + x] = 255;
    }
  }
  return out;
}

export function sha256(a: TypedArray | Buffer): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}
