import type { BBox } from '@hls/contracts';

/** [minX, minY, maxX, maxY] of a set of points (Infinity bounds for none). */
export function boundsOf(points: Iterable<readonly [number, number] | readonly number[]>): BBox {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    const x = p[0] as number;
    const y = p[1] as number;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return [minX, minY, maxX, maxY];
}
