import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type EventOf } from '@hls/contracts';
import { gridToCache, loadS2Grid, transformer, twinPathOf } from '@hls/geo';
import { PermanentError } from '@hls/runtime';
import { realServiceContext, type RealServiceContext, type RunSpec } from '@hls/runtime/testing';
import { startNats, type NatsHandle } from '@hls/testing';
import { handleRunRequested, type ChipIndexRunRecord } from './handler.ts';
import { REAL_FIXTURES } from '@hls/common';

const FIX = `${REAL_FIXTURES}`;
const tmp = mkdtempSync(join(tmpdir(), 'chip-index-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

let nats: NatsHandle;
const contexts: RealServiceContext[] = [];
before(async () => {
  nats = await startNats();
});
after(async () => {
  for (const c of contexts) await c.close();
  await nats.stop();
});

/** A run whose inputs are uploaded as submit uploads them: the payload, its twin when there is one, the parsed grid. */
async function runSpec(runId: string, dataDir: string, chipPayload: string, gridKml: string): Promise<RunSpec> {
  const twin = twinPathOf(chipPayload);
  return {
    runId,
    config: { data_dir: dataDir, train_dataset_name: 'ds' },
    inputs: {
      chipPayload: readFileSync(chipPayload),
      ...(existsSync(twin) ? { chipPayloadTwin: readFileSync(twin) } : {}),
      grid: gridToCache(await loadS2Grid(gridKml, { cacheFile: false }), null),
    },
    sources: { chipPayload, chipPayloadTwin: twin, grid: gridKml },
  };
}

/** A real service context on the suite's nats-server, with the run stored in KV and its inputs in the object store. */
async function context(spec: RunSpec): Promise<RealServiceContext & { ev: EventOf<'hls.run.requested'> }> {
  const c = await realServiceContext({ nats, service: 'chip-index', run: spec });
  contexts.push(c);
  return { ...c, ev: c.run };
}

const events = async (c: RealServiceContext, subject: string) => (await c.published()).filter((p) => p.subject === subject);

test('indexes the 1,751 real chips: files, KV expected count, one event per chip and per tile, idempotent', async () => {
  const data = join(tmp, 'a');
  const dir = join(data, 'training_datasets', 'ds');
  const real = await context(await runSpec('run-a', data, `${FIX}/chips/midwest_crops_chip_payload.geojson`, `${FIX}/s2-grid/sentinel_tile_grid_subset.reconstructed.kml`));
  const { ctx, ev } = real;
  await handleRunRequested(ev, ctx);
  for (const f of ['chips_id.json', 'chips_df.csv', 'tile_choice_report.csv']) assert.ok(existsSync(join(dir, f)), f);
  const rec = (await ctx.ledger.runRecord('run-a')) as ChipIndexRunRecord;
  assert.equal(rec.expectedChips, 1751);
  assert.equal(rec.chipIndex.twin, 'read');
  const indexed = await events(real, 'hls.chip.indexed');
  assert.equal(indexed.length, 1751);
  assert.equal((await events(real, 'hls.chip.rejected')).length, 0);
  const tiles = (await events(real, 'hls.tile.requested')).map((p) => p.data as EventOf<'hls.tile.requested'>);
  assert.equal(tiles.length, rec.chipIndex.tiles);
  assert.equal(tiles.reduce((s, t) => s + t.chipIds.length, 0), 1751);
  const first = indexed[0]!;
  assert.equal(first.msgId, 'hls.chip.indexed:run-a:chip_085_328');
  assert.deepEqual((first.data as EventOf<'hls.chip.indexed'>).bbox5070, [-151935, 2594685, -145215, 2601405]);
  const t = tiles[0]!;
  assert.ok(t.epsg >= 32601 && t.epsg <= 32660);
  assert.equal(t.footprintUtm[2] - t.footprintUtm[0], 109_800);
  // The search geometry is the footprint: its first vertex is the UL corner.
  const ul = transformer(4326, t.epsg)(t.searchGeometry.coordinates[0]![0] as [number, number]);
  assert.ok(Math.abs(ul[0] - t.footprintUtm[0]) < 1e-6 && Math.abs(ul[1] - t.footprintUtm[3]) < 1e-6);
  // Redelivery: same files, same message ids, so JetStream stores nothing twice.
  const ids = real.acks.map((a) => a.msgId);
  assert.equal(new Set(ids).size, ids.length);
  const chipsDf = readFileSync(join(dir, 'chips_df.csv'), 'utf8');
  const stored = (await real.published()).length;
  await handleRunRequested(ev, ctx);
  const again = real.acks.slice(ids.length);
  assert.deepEqual(again.map((a) => a.msgId), ids);
  assert.ok(again.every((a) => a.duplicate), 'every re-publish is a duplicate');
  assert.equal((await real.published()).length, stored);
  assert.equal(readFileSync(join(dir, 'chips_df.csv'), 'utf8'), chipsDf);
});

test('bad chips and a chip no tile contains are rejected with reasons; features without a usable id are rejected under a stand-in id', async () => {
  const src = JSON.parse(readFileSync(`${FIX}/chips/midwest_crops_chip_payload.geojson`, 'utf8')) as { features: { properties: { id: string } }[] };
  const t = transformer(5070, 4326);
  // A valid CDL-grid chip in Florida: outside every tile of the fixture grid.
  const [x0, y1] = [1_337_505, 728_205];
  const ring = [[x0, y1], [x0, y1 - 6720], [x0 + 6720, y1 - 6720], [x0 + 6720, y1], [x0, y1]].map((p) => t(p as [number, number]));
  const florida = { type: 'Feature', properties: { id: 'chip_florida', center: t([x0 + 3360, y1 - 3360]) }, geometry: { type: 'Polygon', coordinates: [ring] } };
  const { id: _id, ...noId } = src.features[7]!.properties;
  const feats = [...src.features.slice(0, 5), florida, { ...src.features[5]!, properties: { ...src.features[5]!.properties, id: '../../x' } }, src.features[6], src.features[6], { ...src.features[7]!, properties: noId }];
  const payload = join(tmp, 'b_chip_payload.geojson');
  writeFileSync(payload, JSON.stringify({ type: 'FeatureCollection', features: feats }));
  const kml = join(tmp, 'grid.kml');
  copyFileSync(`${FIX}/s2-grid/sentinel_tile_grid_subset.reconstructed.kml`, kml);
  const real = await context(await runSpec('run-b', join(tmp, 'b'), payload, kml));
  const { ev } = real;
  await handleRunRequested(ev, real.ctx);
  const rejected = (await events(real, 'hls.chip.rejected')).map((p) => p.data as EventOf<'hls.chip.rejected'>);
  // Every one of the 10 features is counted: the unsafe id and the repeat under stand-in ids.
  assert.deepEqual(
    rejected.map((r) => [r.chipId, r.reason]).sort(),
    [
      ['chip_florida', 'no-tile'],
      [src.features[6]!.properties.id, 'duplicate-id'],
      ['feature-6', 'unsafe-id'],
      ['feature-8', 'duplicate-id'],
      ['feature-9', 'missing-id'],
    ].sort(),
  );
  assert.match(rejected.find((r) => r.chipId === 'feature-6')!.detail, /feature 6 id "\.\.\/\.\.\/x"/);
  assert.equal((await events(real, 'hls.chip.indexed')).length, 5);
  const rec = (await real.ctx.ledger.runRecord('run-b')) as ChipIndexRunRecord;
  assert.equal(rec.expectedChips, feats.length);
  assert.deepEqual(rec.chipIndex.invalidFeatures.map((f) => [f.standInId, f.reason]).sort(), [['feature-6', 'unsafe-id'], ['feature-8', 'duplicate-id'], ['feature-9', 'missing-id']]);
  assert.equal((await events(real, 'hls.run.completed')).length, 0, 'not complete before its chips are terminal');
  assert.equal(rec.chipIndex.twin, 'derived');
});

test('a payload without features: 0 chips expected and the run completed at once', async () => {
  const payload = join(tmp, 'empty_chip_payload.geojson');
  writeFileSync(payload, '{"type":"FeatureCollection","features":[]}');
  const real = await context(await runSpec('run-e', join(tmp, 'e'), payload, `${FIX}/s2-grid/sentinel_tile_grid_subset.reconstructed.kml`));
  const { ev } = real;
  await handleRunRequested(ev, real.ctx);
  const rec = (await real.ctx.ledger.runRecord('run-e')) as ChipIndexRunRecord;
  assert.equal(rec.expectedChips, 0);
  const done = (await events(real, 'hls.run.completed')).map((p) => p.data as EventOf<'hls.run.completed'>);
  assert.deepEqual(done.map((d) => [d.expected, d.counts]), [[0, { accepted: 0, rejected: 0, failed: 0 }]]);
  // Redelivered: the same completion, stored once.
  await handleRunRequested(ev, real.ctx);
  assert.equal((await events(real, 'hls.run.completed')).length, 1);
});

test('a malformed grid object, a missing or altered payload object: permanent errors naming the run and the input', async () => {
  const spec = await runSpec('run-c', join(tmp, 'c'), `${FIX}/chips/midwest_crops_chip_payload.geojson`, `${FIX}/s2-grid/sentinel_tile_grid_subset.reconstructed.kml`);
  const bad = await context({ ...spec, inputs: { ...spec.inputs, grid: '{"format":"hls-s2-grid/1"' }, sources: { ...spec.sources, grid: 'grid.kml' } });
  await assert.rejects(handleRunRequested(bad.ev, bad.ctx), (e: Error) => {
    assert.ok(e instanceof PermanentError);
    assert.match(e.message, /^run run-c: cannot index the chips of .*midwest_crops_chip_payload\.geojson against grid\.kml: grid\.kml: grid cache is not valid JSON/);
    return true;
  });
  // The payload object is gone, or holds other bytes than the run was submitted with.
  const { inputs: _i, ...noPayload } = spec;
  const gone = await context({ ...noPayload, runId: 'run-d', inputs: { grid: spec.inputs?.grid ?? '' } });
  await assert.rejects(handleRunRequested(gone.ev, gone.ctx), (e: Error) => e instanceof PermanentError && /^run run-d: input chipPayload \(run-d\/chips\.geojson\): object run-d\/chips\.geojson in bucket hls-run-inputs: no such object/.test(e.message));
  await (await bad.bus.objects('hls-run-inputs')).put('run-c/chips.geojson', new TextEncoder().encode('{}'));
  await assert.rejects(handleRunRequested(bad.ev, bad.ctx), (e: Error) => e instanceof PermanentError && /^run run-c: input chipPayload .*run-c\/chips\.geojson in bucket hls-run-inputs: holds 2 bytes/.test(e.message));
  assert.equal((await bad.published()).length + (await gone.published()).length, 0, 'nothing published for bad input');
});
