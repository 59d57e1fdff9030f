// Client-side search filters for sources without an API (static catalogs, granule directories).
import { arr, isObj } from './json-util.ts';

export type Bbox = [number, number, number, number];

/** Bounding box of any GeoJSON geometry (nested coordinate arrays). */
export function geometryBbox(geometry: unknown): Bbox | undefined {
  const b: Bbox = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number' && typeof c[1] === 'number') {
      b[0] = Math.min(b[0], c[0]);
      b[1] = Math.min(b[1], c[1]);
      b[2] = Math.max(b[2], c[0]);
      b[3] = Math.max(b[3], c[1]);
    } else arr(c).forEach(walk);
  };
  if (isObj(geometry)) walk(geometry.coordinates);
  return Number.isFinite(b[0]) ? b : undefined;
}

export function bboxesOverlap(a: Bbox, b: Bbox): boolean {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

/** `start/end` with `..` for open ends, or one instant; bounds in ms. */
export function parseInterval(datetime: string | undefined): [number, number] {
  if (!datetime) return [-Infinity, Infinity];
  const [a, b = a] = datetime.split('/');
  const lo = !a || a === '..' ? -Infinity : Date.parse(a);
  const hi = !b || b === '..' ? Infinity : Date.parse(b);
  if (Number.isNaN(lo) || Number.isNaN(hi)) throw new RangeError(`bad datetime interval ${JSON.stringify(datetime)}`);
  return [lo, hi];
}

export function inInterval(time: string | undefined, interval: [number, number]): boolean {
  if (time === undefined) return interval[0] === -Infinity && interval[1] === Infinity;
  const t = Date.parse(time);
  return !Number.isNaN(t) && t >= interval[0] && t <= interval[1];
}
