// Tile per chip: among the tiles whose UTM footprint contains the whole chip, the one whose polygon centroid
// is nearest the chip centre in EPSG:5070, the original's ranking (identify_hls_scenes.py
// select_intersecting_features: shapely centroid of the KML polygon in lon/lat, chip `center` and centroid
// both projected to EPSG:5070). Unlike the original, only containing tiles compete. No containing tile: "no-tile".
// The original's naive rule (nearest area-weighted polygon centroid over all tiles, which puts the split
// antimeridian tile 01SBU in Oklahoma) is computed alongside for the report.
import Flatbush from 'flatbush';
import type { BBox, ChipId } from '@hls/contracts';
import { boxCenter } from './cdl-grid.ts';
import { EPSG_CDL, EPSG_WGS84, transformer } from './crs.ts';
import type { S2Tile } from './s2-grid-kml.ts';
import { boundsOf } from './bounds.ts';

/** Degrees added around each tile part's lon/lat box: UTM edges bulge slightly off the KML's straight lon/lat edges. */
const INDEX_PAD_DEG = 0.02;
/** Points per chip edge tested against a footprint (corner + midpoint). A 6.7 km EPSG:5070 edge bends by up
 * to ~0.3 m in UTM far from the zone centre; with the midpoint tested the bulge left is under ~0.1 m, which
 * CONTAIN_MARGIN covers, so a chip is never given a tile that does not wholly contain it. */
const EDGE_SAMPLES = 2;
/** Metres the sample points must lie inside the footprint. */
const CONTAIN_MARGIN = 0.1;

export interface TileIndex {
  tiles: readonly S2Tile[];
  /** Tile parts' padded lon/lat boxes. */
  parts: Flatbush;
  partTile: Int32Array;
  /** Lazily computed tile polygon centroids in EPSG:5070, x,y pairs (NaN: not yet; Infinity: cannot be transformed). */
  centroid5070: Float64Array;
  /** The naive rule's centroids in EPSG:5070 and their tiles (tiles whose centroid cannot be transformed are left out). */
  naive: Flatbush | null;
  naiveTile: Int32Array;
  /** x,y of each naive centroid, by naive item index. */
  naivePts: Float64Array;
}

/** Area-weighted centroid of polygon rings in lon/lat, as shapely computes a MultiPolygon's centroid. */
export function areaCentroid(rings: readonly (readonly [number, number])[][]): [number, number] {
  let a = 0;
  let cx = 0;
  let cy = 0;
  for (const r of rings) {
    for (let i = 0; i + 1 < r.length; i++) {
      const [x0, y0] = r[i] as [number, number];
      const [x1, y1] = r[i + 1] as [number, number];
      const f = x0 * y1 - x1 * y0;
      a += f;
      cx += (x0 + x1) * f;
      cy += (y0 + y1) * f;
    }
  }
  if (a === 0) {
    const pts = rings.flat();
    return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
  }
  return [cx / (3 * a), cy / (3 * a)];
}

export function buildTileIndex(tiles: readonly S2Tile[], opts: { naive?: boolean } = {}): TileIndex {
  const nParts = tiles.reduce((s, t) => s + t.parts.length, 0);
  const parts = new Flatbush(Math.max(1, nParts));
  const partTile = new Int32Array(Math.max(1, nParts));
  let k = 0;
  tiles.forEach((t, ti) => {
    for (const ring of t.parts) {
      const [minX, minY, maxX, maxY] = boundsOf(ring);
      parts.add(minX - INDEX_PAD_DEG, minY - INDEX_PAD_DEG, maxX + INDEX_PAD_DEG, maxY + INDEX_PAD_DEG);
      partTile[k++] = ti;
    }
  });
  if (nParts === 0) parts.add(0, 0, 0, 0);
  parts.finish();
  let naive: Flatbush | null = null;
  const naiveTiles: number[] = [];
  const naivePts: number[] = [];
  if (opts.naive !== false) {
    const t = transformer(EPSG_WGS84, EPSG_CDL);
    const pts: [number, number][] = [];
    tiles.forEach((tile, ti) => {
      try {
        const p = t(areaCentroid(tile.parts));
        pts.push(p);
        naiveTiles.push(ti);
      } catch {
        // Centroids Albers cannot project (far side of the globe) are never the nearest to a CONUS chip.
      }
    });
    if (pts.length > 0) {
      naive = new Flatbush(pts.length);
      for (const [x, y] of pts) {
        naive.add(x, y, x, y);
        naivePts.push(x, y);
      }
      naive.finish();
    }
  }
  return {
    tiles,
    parts,
    partTile: nParts === 0 ? new Int32Array(0) : partTile,
    centroid5070: new Float64Array(2 * tiles.length).fill(NaN),
    naive,
    naiveTile: Int32Array.from(naiveTiles),
    naivePts: Float64Array.from(naivePts),
  };
}

/** The tile's polygon centroid (lon/lat, area-weighted over its parts) in EPSG:5070; the KML's <Point> is not
 * used: for 10 of the 1,751 real Midwest chips it ranks another containing tile first. */
function tileCentroid5070(index: TileIndex, ti: number): [number, number] | null {
  const cc = index.centroid5070;
  if (Number.isNaN(cc[2 * ti])) {
    try {
      const p = transformer(EPSG_WGS84, EPSG_CDL)(areaCentroid((index.tiles[ti] as S2Tile).parts));
      cc[2 * ti] = p[0];
      cc[2 * ti + 1] = p[1];
    } catch {
      cc[2 * ti] = Infinity;
    }
  }
  const x = cc[2 * ti] as number;
  return Number.isFinite(x) ? [x, cc[2 * ti + 1] as number] : null;
}

/** Points along the edges of a box (corners included). */
export function boxSamples(b: BBox, perEdge = EDGE_SAMPLES): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < perEdge; i++) {
    const f = i / perEdge;
    out.push([b[0] + f * (b[2] - b[0]), b[1]]);
    out.push([b[2], b[1] + f * (b[3] - b[1])]);
    out.push([b[2] - f * (b[2] - b[0]), b[3]]);
    out.push([b[0], b[3] - f * (b[3] - b[1])]);
  }
  return out;
}

export interface ChipToAssign {
  id: ChipId;
  bbox5070: BBox;
  /** The payload's [lon, lat] `center`; the original measures from it (projected). Default: the box centre. */
  center?: [number, number];
}

export interface TileChoice {
  chipId: ChipId;
  /** Chosen tile (index into the grid) or -1: no tile contains the chip. */
  tile: number;
  /** Distance chip centre - tile polygon centroid in EPSG:5070 metres. */
  distance: number;
  /** Tiles containing the whole chip. */
  containing: number;
  /** The naive rule's tile and distance (-1 when not computed). */
  naiveTile: number;
  naiveDistance: number;
}

/** Whether every sample point (already in the tile's UTM zone) lies within the tile's UTM footprint. */
function footprintContains(tile: S2Tile, utm: readonly [number, number][] | null): boolean {
  if (!utm) return false;
  const [minX, minY, maxX, maxY] = tile.footprintUtm;
  const m = CONTAIN_MARGIN;
  for (const q of utm) if (q[0] < minX + m || q[0] > maxX - m || q[1] < minY + m || q[1] > maxY - m) return false;
  return true;
}

/** The chip's sample points in a UTM zone, transformed once per zone per chip (neighbour tiles share zones). */
function samplesIn(epsg: number, lonlat: readonly [number, number][], cache: Map<number, [number, number][] | null>): [number, number][] | null {
  let pts = cache.get(epsg);
  if (pts === undefined) {
    try {
      const t = transformer(EPSG_WGS84, epsg);
      pts = lonlat.map((p) => t(p));
    } catch {
      pts = null;
    }
    cache.set(epsg, pts);
  }
  return pts;
}

/** Choose the tile for one chip. */
export function chooseTile(index: TileIndex, chip: ChipToAssign): TileChoice {
  const inv = transformer(EPSG_CDL, EPSG_WGS84);
  const samples = boxSamples(chip.bbox5070).map((p) => inv(p));
  const [minLon, minLat, maxLon, maxLat] = boundsOf(samples);
  const c = chip.center ? transformer(EPSG_WGS84, EPSG_CDL)(chip.center) : boxCenter(chip.bbox5070);
  const seen = new Set<number>();
  let best = -1;
  let bestD = Infinity;
  let containing = 0;
  const inZone = new Map<number, [number, number][] | null>();
  for (const pi of index.parts.search(minLon, minLat, maxLon, maxLat)) {
    const ti = index.partTile[pi] as number;
    if (seen.has(ti)) continue;
    seen.add(ti);
    const tile = index.tiles[ti] as S2Tile;
    if (!footprintContains(tile, samplesIn(tile.epsg, samples, inZone))) continue;
    containing++;
    const tc = tileCentroid5070(index, ti);
    if (!tc) continue;
    const d = Math.hypot(tc[0] - c[0], tc[1] - c[1]);
    // Ties (identical centroids) go to the smaller tile name, so the choice never depends on file order.
    if (d < bestD || (d === bestD && best >= 0 && tile.name < (index.tiles[best] as S2Tile).name)) {
      best = ti;
      bestD = d;
    }
  }
  let naiveTile = -1;
  let naiveDistance = NaN;
  if (index.naive) {
    const [ni] = index.naive.neighbors(c[0], c[1], 1);
    if (ni !== undefined) {
      naiveTile = index.naiveTile[ni] as number;
      naiveDistance = Math.hypot((index.naivePts[2 * ni] as number) - c[0], (index.naivePts[2 * ni + 1] as number) - c[1]);
    }
  }
  return { chipId: chip.id, tile: best, distance: best >= 0 ? bestD : NaN, containing, naiveTile, naiveDistance };
}

/** Choose tiles for many chips. */
export function assignTiles(index: TileIndex, chips: readonly ChipToAssign[]): TileChoice[] {
  return chips.map((c) => chooseTile(index, c));
}
