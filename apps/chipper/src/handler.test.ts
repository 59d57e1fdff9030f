import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { datasetDir, parseEvent, SUBJECTS, type EventOf } from '@hls/contracts';
import { writeSyntheticTile, type SyntheticTile } from '@hls/chips/testing';
import { twinPathOf } from '@hls/geo';
import { readRasterWindow } from '@hls/raster';
import { realServiceContext, type RealServiceContext } from '@hls/runtime/testing';
import { startNats, type NatsHandle } from '@hls/testing';
import { chipClipHandler, chipperCaches, closeChipper, handleTileReprojected } from './handler.ts';
import { REAL_FIXTURES } from '@hls/common';

const FIXTURES = `${REAL_FIXTURES}/chips`;
const PAYLOAD = join(FIXTURES, 'midwest_crops_chip_payload.geojson');
/** chip_085_328 of the real payload: CDL grid row 85 * 224, col 328 * 224 (EPSG:5070 metres). */
const BOX_085_328: [number, number, number, number] = [-151935, 2594685, -145215, 2601405];
const RECLASS = join(FIXTURES, 'cdl_total_dst.csv');

describe('chipper handlers on the real chip_085_328 box', () => {
  // Clips on the event loop here; the clip thread has its own test below.
  const deps = chipperCaches({ clipThread: false });
  const handleChipClip = chipClipHandler(deps);
  after(() => closeChipper(deps));
  let root = '';
  let dir = '';
  let tile: SyntheticTile;
  let nats: NatsHandle;
  // One context per test: each reads back only what it published.
  let real: RealServiceContext;
  const context = async (): Promise<RealServiceContext> => {
    await real?.close();
    real = await realServiceContext({
      nats,
      service: 'chipper',
      run: {
        runId: 'run1',
        config: { data_dir: root, train_dataset_name: 'ds', cdl: { source: join(dir, 'cdl.tif'), reclass_table: RECLASS } },
        // As submit uploads them: the payload, its EPSG:5070 twin and the reclass table.
        inputs: { chipPayload: readFileSync(PAYLOAD), chipPayloadTwin: readFileSync(twinPathOf(PAYLOAD)), reclassTable: readFileSync(RECLASS) },
        sources: { chipPayload: PAYLOAD, chipPayloadTwin: twinPathOf(PAYLOAD), reclassTable: RECLASS },
      },
    });
    return real;
  };
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'chipper-'));
    nats = await startNats();
    dir = datasetDir(root, 'ds');
    assert.equal(await (await context()).ctx.datasetDir('run1'), dir);
    // chip_085_328: CDL grid row 85 * 224, col 328 * 224. A 250 px raster starting 10 px before it.
    tile = await writeSyntheticTile(dir, { col0: 328 * 224 - 10, row0: 85 * 224 - 10, width: 250, height: 250 });
    assert.equal(tile.cdl, join(dir, 'cdl.tif'), 'the run config names the CDL the synthetic tile writes');
  });
  after(async () => {
    await real?.close();
    await nats?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('fans a ready tile out into one chip job per chip with deterministic ids', async () => {
    const { ctx, published } = await context();
    const scenes = tile.granules.map((g, i) => ({ granuleId: g, date: tile.dates[i]! }));
    const chips = [
      { chipId: 'chip_085_328', bbox5070: BOX_085_328 },
      { chipId: 'chip_085_329', bbox5070: [BOX_085_328[0] + 6720, BOX_085_328[1], BOX_085_328[2] + 6720, BOX_085_328[3]] },
    ];
    const ev = parseEvent(SUBJECTS.tileReprojected, { schemaVersion: 1, runId: 'run1', tileId: '15TVG', chipIds: chips.map((c) => c.chipId), chips, scenes });
    await handleTileReprojected(ev, ctx);
    const jobs = await published();
    assert.deepEqual(jobs.map((p) => [p.subject, p.msgId]), [
      ['hls.cmd.chip.clip', 'hls.cmd.chip.clip:run1:chip_085_328'],
      ['hls.cmd.chip.clip', 'hls.cmd.chip.clip:run1:chip_085_329'],
    ]);
    // Each job carries its chip's box: the chipper never reads the payload again.
    assert.deepEqual(jobs.map((p) => (p.data as EventOf<'hls.cmd.chip.clip'>).bbox5070), chips.map((c) => c.bbox5070));
  });

  it('clips a chip job and publishes the QA figures; the same job again gives the same event and id', async () => {
    const { ctx, published, acks } = await context();
    const scenes = [2, 0, 1].map((i) => ({ granuleId: tile.granules[i]!, date: tile.dates[i]! }));
    const job = parseEvent(SUBJECTS.chipClip, { schemaVersion: 1, runId: 'run1', tileId: '15TVG', chipId: 'chip_085_328', bbox5070: BOX_085_328, scenes });
    await handleChipClip(job, ctx);
    const mergedPath = join(dir, 'chips', 'chip_085_328_merged.tif');
    const mtime = statSync(mergedPath).mtimeMs;
    await handleChipClip(job, ctx); // redelivery: reuses the complete clip, writes nothing
    assert.equal(statSync(mergedPath).mtimeMs, mtime);
    // Both runs published the same event under the same id; JetStream stored it once.
    assert.equal(acks.length, 2);
    assert.deepEqual([acks[0]!.subject, acks[0]!.msgId, acks[0]!.event], [acks[1]!.subject, acks[1]!.msgId, acks[1]!.event]);
    assert.deepEqual(acks.map((a) => a.duplicate), [false, true]);
    const stored = await published();
    assert.equal(stored.length, 1);
    const p = stored[0]!;
    assert.equal(p.subject, 'hls.chip.clipped');
    assert.equal(p.msgId, 'hls.chip.clipped:run1:chip_085_328');
    const ev = p.data as EventOf<'hls.chip.clipped'>;
    assert.deepEqual(ev.scenes.map((s) => s.date), tile.dates);
    assert.deepEqual(ev.qa.validCounts, [50176, 50176, 50176]);
    assert.equal(ev.qa.nodataCount, 0);
    const merged = await readRasterWindow(join(dir, ev.files.merged));
    assert.equal(merged.bands.length, 18);
    assert.deepEqual(merged.geoTransform, [-151935, 30, 0, 2601405, 0, -30]);
    // The tile's band files stay open for its next chips: one set for the tile.
    assert.equal(deps.tileRasters.tiles, 1);
  });

  it('the event loop takes a chip first and the clip thread one beside it, to the same bytes; a stopped thread takes none', async () => {
    const threaded = chipperCaches({ clipThread: true });
    try {
      const scenes = tile.granules.map((g, i) => ({ granuleId: g, date: tile.dates[i]! }));
      const jobOf = (chipId: string, bbox5070: [number, number, number, number]) => parseEvent(SUBJECTS.chipClip, { schemaVersion: 1, runId: 'run1', tileId: '15TVG', chipId, bbox5070, scenes });
      const jobs = [jobOf('chip_085_328', BOX_085_328), jobOf('chip_085_327', [BOX_085_328[0] - 6720, BOX_085_328[1], BOX_085_328[2] - 6720, BOX_085_328[3]])];
      const filesOf = (c: string) => [`chips/${c}_merged.tif`, `chips/${c}.mask.tif`, `chips_fmask/${c}_Fmask.tif`, `.chip_qa/${c}.json`];
      const all = ['chip_085_328', 'chip_085_327'].flatMap(filesOf);
      // Clipped on the event loop, one after the other: the reference bytes.
      for (const job of jobs) await handleChipClip(job, (await context()).ctx);
      const before = all.map((f) => readFileSync(join(dir, f)));
      // One job alone goes to the event loop.
      for (const f of all) rmSync(join(dir, f));
      await chipClipHandler(threaded)(jobs[0]!, (await context()).ctx);
      assert.equal(threaded.clipThread!.clipped, 0);
      // Two at once: one on each.
      for (const f of all) rmSync(join(dir, f), { force: true });
      const both = (await context()).ctx;
      await Promise.all(jobs.map((job) => chipClipHandler(threaded)(job, both)));
      assert.equal(threaded.clipThread!.clipped, 1);
      all.forEach((f, i) => assert.ok(readFileSync(join(dir, f)).equals(before[i]!), `${f}: the same bytes`));
      // A stopped thread takes no chip: the event loop clips both.
      await threaded.clipThread!.close();
      for (const f of all) rmSync(join(dir, f));
      const again = (await context()).ctx;
      await Promise.all(jobs.map((job) => chipClipHandler(threaded)(job, again)));
      assert.equal(threaded.clipThread!.clipped, 1);
      all.forEach((f, i) => assert.ok(readFileSync(join(dir, f)).equals(before[i]!), `${f}: the same bytes`));
    } finally {
      await closeChipper(threaded);
    }
  });

  it('a job whose box is not a 224 x 224 box on the CDL grid ends its chip rejected, naming it', async () => {
    const scenes = tile.granules.map((g, i) => ({ granuleId: g, date: tile.dates[i]! }));
    const shifted: [number, number, number, number] = [BOX_085_328[0] + 15, BOX_085_328[1], BOX_085_328[2] + 15, BOX_085_328[3]];
    const job = parseEvent(SUBJECTS.chipClip, { schemaVersion: 1, runId: 'run1', tileId: '15TVG', chipId: 'chip_999_999', bbox5070: shifted, scenes });
    const { ctx, published } = await context();
    await handleChipClip(job, ctx);
    const out = await published();
    assert.deepEqual(out.map((p) => p.subject), ['hls.chip.rejected']);
    const rej = out[0]!.data as EventOf<'hls.chip.rejected'>;
    assert.equal(rej.chipId, 'chip_999_999');
    assert.match(rej.detail, /chip_999_999/);
  });
});
