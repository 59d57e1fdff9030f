// The demo's fixtures inside the checkout (libs/world/fixtures): the part of the real fixtures the sample
// world reads, cut from the full files so every kept feature and Placemark is the original text.
//
// Kept: every chip the grid assigns to the world's tiles (not only the picked ones: the plan picks the chips
// nearest the mean of all of them, so fewer would change the world), and every grid tile that may contain
// one of those chips or be its nearest centroid (so tile assignment gives the same answers).
import { readFile } from 'node:fs/promises';
import { applyChoices, assignTiles, boundsOf, boxSamples, buildTileIndex, EPSG_CDL, EPSG_WGS84, loadS2Grid, readChipPayload, transformer } from '@hls/geo';
import type { BBox } from '@hls/contracts';
import type { WorldFixtures } from './world.ts';

/** Each array element's text in `features` of a GeoJSON FeatureCollection, as written in the file. */
export function featureSlices(text: string): { prefix: string; features: string[]; separators: string[]; suffix: string } {
  const key = text.indexOf('"features"');
  const open = key < 0 ? -1 : text.indexOf('[', key);
  if (open < 0) throw new Error('not a GeoJSON FeatureCollection: no "features" array');
  const starts: number[] = [];
  const ends: number[] = [];
  let depth = 0;
  let inString = false;
  let i = open + 1;
  for (; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) starts.push(i);
      depth++;
    } else if (c === '}' || c === ']') {
      if (depth === 0) break; // the array's own ']'
      depth--;
      if (depth === 0) ends.push(i + 1);
    }
  }
  if (starts.length === 0 || starts.length !== ends.length) throw new Error('the "features" array is empty or not closed');
  return {
    prefix: text.slice(0, starts[0]),
    features: starts.map((s, k) => text.slice(s, ends[k])),
    separators: starts.slice(1).map((s, k) => text.slice(ends[k], s)),
    suffix: text.slice(ends[ends.length - 1]),
  };
}

/** The FeatureCollection text with only the features whose `properties.id` is in `ids`, each verbatim. */
export function subsetFeatureText(text: string, ids: ReadonlySet<string>): string {
  const { prefix, features, separators, suffix } = featureSlices(text);
  const kept = features.filter((f) => {
    const id = (JSON.parse(f) as { properties?: { id?: unknown } }).properties?.id;
    return typeof id === 'string' && ids.has(id);
  });
  const out = prefix + kept.join(separators[0] ?? ',\n') + suffix;
  // The cut must read as the same document minus the other features.
  const doc = JSON.parse(text) as { features: Array<{ properties?: { id?: unknown } }> };
  const want = { ...doc, features: doc.features.filter((f) => typeof f.properties?.id === 'string' && ids.has(f.properties.id)) };
  if (JSON.stringify(JSON.parse(out)) !== JSON.stringify(want)) throw new Error('the feature cut does not parse as the subset of the collection');
  return out;
}

/** The ESA-layout KML with only the Placemarks named in `names` (one Placemark a line, as the fixture has). */
export function subsetKmlText(text: string, names: ReadonlySet<string>): string {
  const lines = text.split('\n');
  const isPlacemark = (l: string): boolean => l.startsWith('<Placemark');
  const first = lines.findIndex(isPlacemark);
  const last = lines.findLastIndex(isPlacemark);
  if (first < 0) throw new Error('the KML has no Placemark');
  const kept: string[] = [];
  for (const l of lines.slice(first, last + 1)) {
    if (!isPlacemark(l) || !l.endsWith('</Placemark>')) throw new Error(`expected one Placemark a line, got: ${l.slice(0, 60)}`);
    const name = /<name>([^<]*)<\/name>/.exec(l)?.[1];
    if (name && names.has(name)) kept.push(l);
  }
  const missing = [...names].filter((n) => !kept.some((l) => l.includes(`<name>${n}</name>`)));
  if (missing.length) throw new Error(`the KML has no Placemark for ${missing.join(', ')}`);
  return [...lines.slice(0, first), ...kept, ...lines.slice(last + 1)].join('\n');
}

export interface FixtureSubset {
  chipIds: string[];
  tileNames: string[];
  payload: string;
  payload5070: string;
  gridKml: string;
  reclassTable: string;
}

/** The texts of the demo's fixtures, cut from the full fixtures for the world's `tiles`. */
export async function demoFixtureSubset(full: WorldFixtures, tiles: readonly string[]): Promise<FixtureSubset> {
  const payload = await readChipPayload(full.payload);
  const grid = await loadS2Grid(full.gridKml, { cacheFile: false });
  const choices = assignTiles(buildTileIndex(grid), payload.chips);
  const r = applyChoices(payload, grid, choices);
  const chipIds = r.assigned.filter((a) => tiles.includes(a.tile.name)).map((a) => a.chip.id as string);
  const ids = new Set(chipIds);
  // Every tile whose lon/lat bounds meet a kept chip's may contain it; the naive rule's nearest centroid too.
  const inv = transformer(EPSG_CDL, EPSG_WGS84);
  const chipBounds = payload.chips.filter((c) => ids.has(c.id as string)).map((c) => boundsOf(boxSamples(c.bbox5070 as BBox).map((p) => inv(p))));
  const meets = (a: BBox, b: BBox): boolean => a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
  const names = new Set<string>();
  for (const t of grid) if (t.parts.some((ring) => chipBounds.some((b) => meets(boundsOf(ring), b)))) names.add(t.name);
  payload.chips.forEach((c, i) => {
    const n = choices[i]?.naiveTile ?? -1;
    if (ids.has(c.id as string) && n >= 0) names.add((grid[n] as { name: string }).name);
  });
  const twin = full.payload.replace(/\.geojson$/, '_5070.geojson');
  return {
    chipIds,
    tileNames: [...names].sort(),
    payload: subsetFeatureText(await readFile(full.payload, 'utf8'), ids),
    payload5070: subsetFeatureText(await readFile(twin, 'utf8'), ids),
    gridKml: subsetKmlText(await readFile(full.gridKml, 'utf8'), names),
    reclassTable: await readFile(full.reclassTable, 'utf8'),
  };
}
