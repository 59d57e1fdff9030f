import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigSchema, RunId, makeEvent, parseEvent, type EventOf, type Subject } from '@hls/contracts';
import { transformer } from '@hls/geo';
import { PermanentError, type KvStore, type ServiceContext } from '@hls/runtime';
import { handleRunRequested, type ChipIndexRunRecord } from './handler.ts';

const FIX = '/work/shared/fixtures/real';
const tmp = mkdtempSync(join(tmpdir(), 'chip-index-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** An in-memory KV with revisions, like a JetStream KV bucket. */
function memoryKv(): KvStore & { data: Map<string, { value: unknown; revision: number }> } {
  const data = new Map<string, { value: unknown; revision: number }>();
  let rev = 0;
  return {
    data,
    get: async (k) => data.get(k) ?? null,
    put: async (k, v) => {
      data.set(k, { value: v, revision: ++rev });
      return rev;
    },
    create: async (k, v) => {
      if (data.has(k)) return false;
      data.set(k, { value: v, revision: ++rev });
      return true;
    },
    update: async (k, v, r) => {
      if (data.get(k)?.revision !== r) return false;
      data.set(k, { value: v, revision: ++rev });
      return true;
    },
    keys: async (p) => [...data.keys()].filter((k) => k.startsWith(p)),
    delete: async (k) => {
      data.delete(k);
    },
  };
}

interface Published {
  subject: Subject;
  event: unknown;
  msgId: string;
}

function context(datasetDir: string, published: Published[], runs: KvStore): ServiceContext {
  const noop = () => undefined;
  const log = { info: noop, warn: noop, error: noop, debug: noop, child: () => log };
  return {
    service: 'chip-index',
    log,
    run: async () => {
      throw new Error('not used');
    },
    datasetDir: async () => datasetDir,
    publish: async (subject: Subject, event: unknown, msgId: string) => {
      // Validate like the real publisher does.
      parseEvent(subject, { schemaVersion: 1, ...(event as object) });
      published.push({ subject, event, msgId });
    },
    kv: { runs, tiles: memoryKv(), chips: memoryKv() },
    working: noop,
    annotate: noop,
    signal: new AbortController().signal,
  } as unknown as ServiceContext;
}

function runEvent(runId: string, chipPayload: string, gridKml: string): EventOf<'hls.run.requested'> {
  return makeEvent('hls.run.requested', { runId: RunId(runId), requestedAt: '2026-01-01T00:00:00Z', config: ConfigSchema.parse({}), chipPayload, gridKml });
}

test('indexes the 1,751 real chips: files, KV expected count, one event per chip and per tile, idempotent', async () => {
  const data = join(tmp, 'a');
  const dir = join(data, 'training_datasets', 'ds');
  const published: Published[] = [];
  const runs = memoryKv();
  await runs.put('run-a', { status: 'running' });
  const ctx = context(dir, published, runs);
  const ev = runEvent('run-a', `${FIX}/chips/midwest_crops_chip_payload.geojson`, `${FIX}/s2-grid/sentinel_tile_grid_subset.reconstructed.kml`);
  await handleRunRequested(ev, ctx);
  for (const f of ['chips_id.json', 'chips_df.csv', 'tile_choice_report.csv']) assert.ok(existsSync(join(dir, f)), f);
  assert.ok(existsSync(join(data, 'cache', 'sentinel_tile_grid_subset.reconstructed.kml.grid.json')), 'grid cache in <data_dir>/cache');
  const rec = (await runs.get('run-a'))?.value as ChipIndexRunRecord & { status: string };
  assert.equal(rec.status, 'running', 'existing run fields are kept');
  assert.equal(rec.expectedChips, 1751);
  assert.equal(rec.chipIndex.twin, 'read');
  const by = (s: string) => published.filter((p) => p.subject === s);
  assert.equal(by('hls.chip.indexed').length, 1751);
  assert.equal(by('hls.chip.rejected').length, 0);
  const tiles = by('hls.tile.requested').map((p) => p.event as EventOf<'hls.tile.requested'>);
  assert.equal(tiles.length, rec.chipIndex.tiles);
  assert.equal(tiles.reduce((s, t) => s + t.chipIds.length, 0), 1751);
  const first = by('hls.chip.indexed')[0]!;
  assert.equal(first.msgId, 'hls.chip.indexed:run-a:chip_085_328');
  assert.deepEqual((first.event as EventOf<'hls.chip.indexed'>).bbox5070, [-151935, 2594685, -145215, 2601405]);
  const t = tiles[0]!;
  assert.ok(t.epsg >= 32601 && t.epsg <= 32660);
  assert.equal(t.footprintUtm[2] - t.footprintUtm[0], 109_800);
  // The search geometry is the footprint: its first vertex is the UL corner.
  const ul = transformer(4326, t.epsg)(t.searchGeometry.coordinates[0]![0] as [number, number]);
  assert.ok(Math.abs(ul[0] - t.footprintUtm[0]) < 1e-6 && Math.abs(ul[1] - t.footprintUtm[3]) < 1e-6);
  // Redelivery: same files, same message ids.
  const ids = published.map((p) => p.msgId);
  assert.equal(new Set(ids).size, ids.length);
  const chipsDf = readFileSync(join(dir, 'chips_df.csv'), 'utf8');
  published.length = 0;
  await handleRunRequested(ev, ctx);
  assert.deepEqual(published.map((p) => p.msgId), ids);
  assert.equal(readFileSync(join(dir, 'chips_df.csv'), 'utf8'), chipsDf);
});

test('bad chips and a chip no tile contains are rejected with reasons; features without a usable id go to KV', async () => {
  const dir = join(tmp, 'b', 'training_datasets', 'ds');
  const src = JSON.parse(readFileSync(`${FIX}/chips/midwest_crops_chip_payload.geojson`, 'utf8')) as { features: { properties: { id: string } }[] };
  const t = transformer(5070, 4326);
  // A valid CDL-grid chip in Florida: outside every tile of the fixture grid.
  const [x0, y1] = [1_337_505, 728_205];
  const ring = [[x0, y1], [x0, y1 - 6720], [x0 + 6720, y1 - 6720], [x0 + 6720, y1], [x0, y1]].map((p) => t(p as [number, number]));
  const florida = { type: 'Feature', properties: { id: 'chip_florida', center: t([x0 + 3360, y1 - 3360]) }, geometry: { type: 'Polygon', coordinates: [ring] } };
  const feats = [...src.features.slice(0, 5), florida, { ...src.features[5]!, properties: { ...src.features[5]!.properties, id: '../../x' } }, src.features[6], src.features[6]];
  const payload = join(tmp, 'b_chip_payload.geojson');
  writeFileSync(payload, JSON.stringify({ type: 'FeatureCollection', features: feats }));
  const kml = join(tmp, 'grid.kml');
  copyFileSync(`${FIX}/s2-grid/sentinel_tile_grid_subset.reconstructed.kml`, kml);
  const published: Published[] = [];
  const runs = memoryKv();
  await handleRunRequested(runEvent('run-b', payload, kml), context(dir, published, runs));
  const rejected = published.filter((p) => p.subject === 'hls.chip.rejected').map((p) => p.event as EventOf<'hls.chip.rejected'>);
  assert.deepEqual(
    rejected.map((r) => [r.chipId, r.reason]).sort(),
    [
      ['chip_florida', 'no-tile'],
      [src.features[6]!.properties.id, 'duplicate-id'],
    ].sort(),
  );
  assert.equal(published.filter((p) => p.subject === 'hls.chip.indexed').length, 5);
  const rec = (await runs.get('run-b'))?.value as ChipIndexRunRecord;
  assert.equal(rec.expectedChips, 7);
  assert.equal(rec.chipIndex.invalidFeatures.length, 1);
  assert.equal(rec.chipIndex.invalidFeatures[0]?.reason, 'unsafe-id');
  assert.equal(rec.chipIndex.twin, 'derived');
});

test('a malformed grid or a missing payload is a permanent error naming the file', async () => {
  const dir = join(tmp, 'c', 'training_datasets', 'ds');
  const kml = join(tmp, 'broken.kml');
  writeFileSync(kml, readFileSync(`${FIX}/s2-grid/sentinel_tile_grid_subset.reconstructed.kml`, 'utf8').replace('<b>UTM_WKT</b>', '<b>X</b>'));
  const ctx = context(dir, [], memoryKv());
  await assert.rejects(handleRunRequested(runEvent('run-c', `${FIX}/chips/midwest_crops_chip_payload.geojson`, kml), ctx), (e: Error) => {
    assert.ok(e instanceof PermanentError);
    assert.match(e.message, /broken\.kml: Placemark #1 \(13SDA\)/);
    return true;
  });
  await assert.rejects(handleRunRequested(runEvent('run-c', join(tmp, 'nope.geojson'), kml), ctx), (e: Error) => e instanceof PermanentError && /nope\.geojson/.test(e.message));
});
