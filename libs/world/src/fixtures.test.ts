// The demo's fixtures ship in the repository: they are exactly the cut of the full real fixtures, the world
// planned from them is the world planned from the full ones, and the world builds with no shared/ in sight.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, describe, test } from 'node:test';
import { applyChoices, assignTiles, buildTileIndex, loadS2Grid, readChipPayload } from '@hls/geo';
import { demoFixtureSubset, featureSlices, subsetFeatureText } from './fixture-subset.ts';
import { DEFAULT_WORLD, planWorld, SMALL_WORLD } from './plan.ts';
import { defaultFixtures, ensureWorld, fullFixtures, REAL_FIXTURES, WORLD_FIXTURES, worldHash } from './world.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-world-fx-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const shipped = defaultFixtures();
const twin = (f: string): string => f.replace(/\.geojson$/, '_5070.geojson');

describe('the demo fixtures in the repository', () => {
  test('live inside the checkout, apart from the full fixtures', () => {
    for (const f of [shipped.payload, shipped.gridKml, shipped.reclassTable]) {
      assert.ok(!relative(join(import.meta.dirname, '..', '..', '..'), f).startsWith('..'), f);
      assert.ok(relative(REAL_FIXTURES, f).startsWith('..'), f);
    }
  });

  test('are exactly the cut of the full real fixtures for the world tiles', async () => {
    const sub = await demoFixtureSubset(fullFixtures(), DEFAULT_WORLD.tiles);
    assert.equal(readFileSync(shipped.payload, 'utf8'), sub.payload);
    assert.equal(readFileSync(twin(shipped.payload), 'utf8'), sub.payload5070);
    assert.equal(readFileSync(shipped.gridKml, 'utf8'), sub.gridKml);
    assert.equal(readFileSync(shipped.reclassTable, 'utf8'), readFileSync(fullFixtures().reclassTable, 'utf8'));
    // Every kept feature is a verbatim slice of the full file.
    const full = featureSlices(readFileSync(fullFixtures().payload, 'utf8')).features;
    for (const f of featureSlices(sub.payload).features) assert.ok(full.includes(f));
    assert.equal(sub.chipIds.length, 195);
  });

  test('plan the same default and small worlds as the full fixtures', async () => {
    for (const o of [DEFAULT_WORLD, SMALL_WORLD]) assert.deepEqual(await planWorld(o, shipped), await planWorld(o, fullFixtures()));
  });

  test('assign every shipped chip the same tile and naive tile as the whole grid', async () => {
    const assign = async (gridKml: string): Promise<string[]> => {
      const payload = await readChipPayload(shipped.payload);
      const grid = await loadS2Grid(gridKml, { cacheFile: false });
      const choices = assignTiles(buildTileIndex(grid), payload.chips);
      const r = applyChoices(payload, grid, choices);
      assert.equal(r.rejected.length, 0);
      return r.assigned.map((a, i) => `${a.chip.id} ${a.tile.name} ${a.distance} ${a.naiveTile?.name} ${a.naiveDistance} ${choices[i]?.containing}`);
    };
    assert.deepEqual(await assign(shipped.gridKml), await assign(fullFixtures().gridKml));
  });

  test('the feature cut keeps the text of each kept feature and fails on a non-collection', () => {
    const text = '{\n  "type": "FeatureCollection",\n  "features": [\n    {"properties": {"id": "a", "s": "}]"}},\n    {"properties": {"id": "b"}}\n  ]\n}\n';
    assert.equal(subsetFeatureText(text, new Set(['b'])), '{\n  "type": "FeatureCollection",\n  "features": [\n    {"properties": {"id": "b"}}\n  ]\n}\n');
    assert.throws(() => featureSlices('{"type": "Feature"}'), /no "features" array/);
  });
});

describe('the world from the shipped fixtures', () => {
  test('builds with the full fixtures out of sight (HLS_FIXTURES_DIR at an empty folder)', { timeout: 300_000 }, () => {
    const empty = join(tmp, 'no-shared');
    mkdirSync(empty);
    const script = `import { ensureWorld, SMALL_WORLD } from './src/index.ts';
const w = await ensureWorld({ dataDir: ${JSON.stringify(join(tmp, 'data'))}, options: SMALL_WORLD });
console.log(JSON.stringify({ chips: w.plan.chipIds.length, hash: w.hash }));`;
    const env: NodeJS.ProcessEnv = { ...process.env, HLS_FIXTURES_DIR: empty };
    delete env.HLS_WORLD_FIXTURES_DIR;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(import.meta.dirname, '..'), env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop() as string), { chips: 10, hash: worldHash(SMALL_WORLD) });
  });

  test('a missing fixture fails in one line naming the file', async () => {
    const dir = join(tmp, 'fx');
    for (const f of [shipped.payload, twin(shipped.payload), shipped.gridKml]) {
      const to = join(dir, relative(WORLD_FIXTURES, f));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(f, to);
    }
    const fx = defaultFixtures(dir);
    await assert.rejects(ensureWorld({ dataDir: join(tmp, 'missing'), options: SMALL_WORLD, fixtures: fx }), (e: Error) => {
      assert.equal(e.message, `world: fixture ${fx.reclassTable} is missing`);
      return true;
    });
  });
});
