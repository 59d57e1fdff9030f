// Spatial predicates on EPSG:4326 areas, planar in lon/lat like the original's turf.js and the STAC
// API's intersects search. Turf does the geometry; these name which rule each caller follows.
import { booleanIntersects, difference, intersect, featureCollection, feature } from '@turf/turf';
import type { Feature, MultiPolygon as GjMultiPolygon, Polygon as GjPolygon } from 'geojson';
import type { AreaGeometry } from '@hls/contracts';

function asFeature(g: AreaGeometry): Feature<GjPolygon | GjMultiPolygon> {
  return feature(g as GjPolygon | GjMultiPolygon);
}

/** The areas share at least one point (a common edge or corner counts): the STAC `intersects` rule. */
export function areasIntersect(a: AreaGeometry, b: AreaGeometry): boolean {
  return booleanIntersects(asFeature(a), asFeature(b));
}

/** The areas overlap with a non-empty area: select_aoi.py's `turf.intersect(featureCollection([drawn, chip]))`. */
export function areasOverlap(a: AreaGeometry, b: AreaGeometry): boolean {
  return intersect(featureCollection([asFeature(a), asFeature(b)])) !== null;
}

/**
 * `inner` lies wholly within `outer` (boundary points allowed): nothing of it is left once `outer` is cut
 * away. (turf's booleanWithin only tests vertices, so a hole or a notch under the area would pass it.)
 */
export function areaWithin(inner: AreaGeometry, outer: AreaGeometry): boolean {
  return difference(featureCollection([asFeature(inner), asFeature(outer)])) === null;
}

/** Whether the closed [lon, lat] ring touches any of the areas (an empty list of areas: nothing to test, true). */
export function ringIntersectsAny(ring: readonly (readonly [number, number])[], areas: readonly AreaGeometry[]): boolean {
  if (areas.length === 0) return true;
  const g: AreaGeometry = { type: 'Polygon', coordinates: [ring.map((p) => [p[0], p[1]])] };
  return areas.some((a) => areasIntersect(g, a));
}
