// The vector overlays the pages draw, as EPSG:4326 GeoJSON: chip boxes (id in properties) and the
// Sentinel-2 tiles (antimeridian tiles, split in two parts by the KML, as a MultiPolygon).
import type { ChipRecord, S2Tile } from '@hls/geo';

export interface Feature {
  type: 'Feature';
  geometry: { type: string; coordinates: unknown };
  properties: Record<string, unknown>;
}
export interface FeatureCollection {
  type: 'FeatureCollection';
  features: Feature[];
}

export function chipsGeoJson(chips: readonly ChipRecord[]): FeatureCollection {
  return {
    type: 'FeatureCollection',
    features: chips.map((c) => ({ type: 'Feature', geometry: { type: c.geometry.type, coordinates: c.geometry.coordinates }, properties: { id: c.id, center: c.center } })),
  };
}

export function tilesGeoJson(tiles: readonly S2Tile[]): FeatureCollection {
  return {
    type: 'FeatureCollection',
    features: tiles.map((t) => ({
      type: 'Feature',
      geometry: t.parts.length === 1 ? { type: 'Polygon', coordinates: [t.parts[0]] } : { type: 'MultiPolygon', coordinates: t.parts.map((p) => [p]) },
      properties: { name: t.name, epsg: t.epsg, center: t.center },
    })),
  };
}
