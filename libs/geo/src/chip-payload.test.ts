import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile, copyFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readChipPayload, twinCollection, twinPathOf, writeTwin, type ChipIssue } from './chip-payload.ts';
import { pythonFloat, pythonJson } from './pyjson.ts';
import { transformer } from './crs.ts';
import { CHIPS_4326, CHIPS_5070 } from './test-helpers.ts';

test('python float formatting', () => {
  assert.equal(pythonFloat(-148575), '-148575.0');
  assert.equal(pythonFloat(-97.92577178518833), '-97.92577178518833');
  assert.equal(pythonFloat(0.00001), '1e-05');
  assert.equal(pythonFloat(1.5e16), '1.5e+16');
  assert.equal(pythonFloat(0.0001), '0.0001');
  assert.equal(pythonJson({ a: [1, 'é'] }), '{\n    "a": [\n        1.0,\n        "\\u00e9"\n    ]\n}');
});

test('the derived 5070 twin equals the real twin exactly for all 1,751 chips', async () => {
  const p = await readChipPayload(CHIPS_4326, { derive: true });
  assert.equal(p.twin, 'derived');
  assert.equal(p.rejected.length, 0, JSON.stringify(p.rejected.slice(0, 3)));
  assert.equal(p.chips.length, 1751);
  const real = await readFile(CHIPS_5070, 'utf8');
  const derived = twinCollection(p.chips);
  assert.deepEqual(derived, JSON.parse(real));
  // Byte for byte, too: same layout as the original's json.dump(indent=4).
  const dir = await mkdtemp(join(tmpdir(), 'geo-twin-'));
  try {
    const out = join(dir, 'x_5070.geojson');
    await writeTwin(out, p.chips);
    assert.equal(await readFile(out, 'utf8'), real);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a present twin is read and checked: all real chips agree', async () => {
  assert.equal(twinPathOf(CHIPS_4326), CHIPS_5070);
  const p = await readChipPayload(CHIPS_4326);
  assert.equal(p.twin, 'read');
  assert.equal(p.chips.length, 1751);
  assert.equal(p.rejected.length, 0);
  assert.equal(p.twinExtra.length, 0);
  const c = p.chips.find((x) => x.id === 'chip_085_328');
  assert.deepEqual(c?.bbox5070, [-151935, 2594685, -145215, 2601405]);
  assert.deepEqual(c?.center5070, [-148575, 2598045]);
});

type Feat = { type: string; properties: Record<string, unknown>; geometry: { type: string; coordinates: unknown } };

/** A 4326 feature for a 5070 box, built like the original (corners and centre transformed). */
function feature(id: unknown, b: [number, number, number, number]): Feat {
  const t = transformer(5070, 4326);
  const ring = [
    [b[0], b[3]],
    [b[0], b[1]],
    [b[2], b[1]],
    [b[2], b[3]],
    [b[0], b[3]],
  ].map((p) => t(p as [number, number]).map((v) => Math.round(v * 1e6) / 1e6));
  return { type: 'Feature', properties: { id, center: t([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]) }, geometry: { type: 'MultiPolygon', coordinates: [[ring]] } };
}

const reasons = (issues: ChipIssue[]) => Object.fromEntries(issues.map((i) => [i.id ?? `#${i.index}`, i.reason]));

test('bad chips are rejected with a reason naming the file and chip; the rest go on', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'geo-bad-'));
  try {
    const ok: [number, number, number, number] = [-151935, 2594685, -145215, 2601405];
    const shift = (b: [number, number, number, number], dx: number, dy = 0): [number, number, number, number] => [b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy];
    const features = [
      feature('chip_good_1', ok),
      feature('chip_dup', shift(ok, 6720)),
      feature('chip_dup', shift(ok, 13440)),
      feature(undefined, shift(ok, 20160)),
      feature('../etc/passwd', shift(ok, 26880)),
      feature('a/b', shift(ok, 33600)),
      feature('chip_rect', [ok[0], ok[1], ok[2] + 30, ok[3]]),
      feature('chip_off', shift(ok, 10)),
      feature('chip_small', [ok[0], ok[1], ok[2] - 30, ok[3] - 30]),
      { type: 'Feature', properties: { id: 'chip_nogeom', center: [0, 0] }, geometry: { type: 'Point', coordinates: [0, 0] } },
      feature('chip_good_2', shift(ok, 0, 6720)),
    ];
    const file = join(dir, 'bad_chip_payload.geojson');
    await writeFile(file, JSON.stringify({ type: 'FeatureCollection', features }));
    const p = await readChipPayload(file);
    assert.equal(p.twin, 'derived');
    assert.deepEqual(
      p.chips.map((c) => c.id),
      ['chip_good_1', 'chip_good_2'],
    );
    assert.deepEqual(reasons(p.rejected), {
      chip_dup: 'duplicate-id',
      '#3': 'missing-id',
      '../etc/passwd': 'unsafe-id',
      'a/b': 'unsafe-id',
      chip_rect: 'non-square',
      chip_off: 'off-grid',
      chip_small: 'bad-size',
      chip_nogeom: 'bad-geometry',
    });
    for (const i of p.rejected) assert.ok(i.detail.includes(file), `detail names the file: ${i.detail}`);
    assert.ok(p.rejected.find((i) => i.reason === 'duplicate-id')?.detail.includes('features 1, 2'));
    // Unsafe ids are never handed on as chip ids.
    assert.equal(p.rejected.find((i) => i.reason === 'unsafe-id')?.chipId, null);

    // A twin that disagrees on one chip, lacks another and has an extra one.
    const twin = twinCollection([
      { id: 'chip_good_1' as never, bbox5070: shift(ok, 30) },
      { id: 'chip_extra' as never, bbox5070: shift(ok, 0, -6720) },
    ]);
    await writeFile(twinPathOf(file), pythonJson(twin));
    const q = await readChipPayload(file);
    assert.equal(q.twin, 'read');
    assert.equal(q.chips.length, 0);
    const r = reasons(q.rejected);
    assert.equal(r.chip_good_1, 'twin-mismatch');
    assert.equal(r.chip_good_2, 'twin-missing');
    assert.match(q.rejected.find((i) => i.id === 'chip_good_1')?.detail ?? '', /_5070\.geojson gives \[-151905/);
    assert.deepEqual(
      q.twinExtra.map((i) => i.id),
      ['chip_extra'],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('not a FeatureCollection: error names the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'geo-nofc-'));
  try {
    const f = join(dir, 'x.geojson');
    await writeFile(f, '{"type": "Feature"}');
    await assert.rejects(readChipPayload(f), new RegExp(`${f}: not a GeoJSON FeatureCollection`));
    await writeFile(f, '{"type": ');
    await assert.rejects(readChipPayload(f), new RegExp(`${f}: not valid JSON`));
    // A copy of the real payload without its twin derives it.
    const g = join(dir, 'real_chip_payload.geojson');
    await copyFile(CHIPS_4326, g);
    assert.equal((await readChipPayload(g)).twin, 'derived');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
