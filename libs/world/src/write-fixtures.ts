// Writes the demo's fixtures (libs/world/fixtures) from the full real fixtures:
//   node libs/world/src/write-fixtures.ts [full-fixtures-dir]   (default: shared/fixtures/real beside the checkout)
// The SOURCES.md files beside them are kept by hand.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { demoFixtureSubset } from './fixture-subset.ts';
import { DEFAULT_WORLD } from './plan.ts';
import { defaultFixtures, fullFixtures, REAL_FIXTURES, WORLD_FIXTURES } from './world.ts';

const sub = await demoFixtureSubset(fullFixtures(process.argv[2] ?? REAL_FIXTURES), DEFAULT_WORLD.tiles);
const out = defaultFixtures(WORLD_FIXTURES);
const files: Array<[string, string]> = [
  [out.payload, sub.payload],
  [out.payload.replace(/\.geojson$/, '_5070.geojson'), sub.payload5070],
  [out.gridKml, sub.gridKml],
  [out.reclassTable, sub.reclassTable],
];
for (const [file, text] of files) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
console.log(`${sub.chipIds.length} chips of ${DEFAULT_WORLD.tiles.join(', ')}; grid tiles: ${sub.tileNames.join(' ')}`);
