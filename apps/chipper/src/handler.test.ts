import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigSchema, parseEvent, SUBJECTS, type EventOf, type Subject } from '@hls/contracts';
import { writeSyntheticTile, type SyntheticTile } from '@hls/chips/testing';
import { readRasterWindow } from '@hls/raster';
import { PermanentError, type ServiceContext } from '@hls/runtime';
import { handleChipClip, handleTileReady } from './handler.ts';

const FIXTURES = '/work/shared/fixtures/real/chips';
const PAYLOAD = join(FIXTURES, 'midwest_crops_chip_payload.geojson');

interface Published {
  subject: Subject;
  event: unknown;
  msgId: string;
}

function fakeContext(dir: string, cdl: string, published: Published[]): ServiceContext {
  const noop = () => undefined;
  const log = { info: noop, warn: noop, error: noop, debug: noop, child: () => log };
  const config = ConfigSchema.parse({ cdl: { source: cdl, reclass_table: join(FIXTURES, 'cdl_total_dst.csv') } });
  return {
    service: 'chipper',
    log,
    run: async () => ({ schemaVersion: 1, runId: 'run1', requestedAt: '', config, chipPayload: PAYLOAD, gridKml: '/g.kml' }),
    datasetDir: async () => dir,
    publish: async (subject: Subject, event: unknown, msgId: string) => {
      published.push({ subject, event: parseEvent(subject, { schemaVersion: 1, ...(event as object) }), msgId });
    },
    kv: {},
    working: noop,
    annotate: noop,
    signal: new AbortController().signal,
  } as unknown as ServiceContext;
}

describe('chipper handlers on the real chip_085_328 box', () => {
  let dir = '';
  let tile: SyntheticTile;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chipper-'));
    // chip_085_328: CDL grid row 85 * 224, col 328 * 224. A 250 px raster starting 10 px before it.
    tile = await writeSyntheticTile(dir, { col0: 328 * 224 - 10, row0: 85 * 224 - 10, width: 250, height: 250 });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fans a ready tile out into one chip job per chip with deterministic ids', async () => {
    const published: Published[] = [];
    const scenes = tile.granules.map((g, i) => ({ granuleId: g, date: tile.dates[i]! }));
    const ev = parseEvent(SUBJECTS.tileReady, { schemaVersion: 1, runId: 'run1', tileId: '15TVG', chipIds: ['chip_085_328', 'chip_085_329'], scenes });
    await handleTileReady(ev, fakeContext(dir, tile.cdl, published));
    assert.deepEqual(published.map((p) => [p.subject, p.msgId]), [
      ['hls.chip.clip', 'hls.chip.clip:run1:chip_085_328'],
      ['hls.chip.clip', 'hls.chip.clip:run1:chip_085_329'],
    ]);
  });

  it('clips a chip job and publishes the QA figures; the same job again gives the same event and id', async () => {
    const published: Published[] = [];
    const ctx = fakeContext(dir, tile.cdl, published);
    const scenes = [2, 0, 1].map((i) => ({ granuleId: tile.granules[i]!, date: tile.dates[i]! }));
    const job = parseEvent(SUBJECTS.chipClip, { schemaVersion: 1, runId: 'run1', tileId: '15TVG', chipId: 'chip_085_328', scenes });
    await handleChipClip(job, ctx);
    const mergedPath = join(dir, 'chips', 'chip_085_328_merged.tif');
    const mtime = statSync(mergedPath).mtimeMs;
    await handleChipClip(job, ctx); // redelivery: reuses the complete clip, writes nothing
    assert.equal(statSync(mergedPath).mtimeMs, mtime);
    assert.equal(published.length, 2);
    assert.deepEqual(published[0], published[1]);
    const p = published[0]!;
    assert.equal(p.subject, 'hls.chip.clipped');
    assert.equal(p.msgId, 'hls.chip.clipped:run1:chip_085_328');
    const ev = p.event as EventOf<'hls.chip.clipped'>;
    assert.deepEqual(ev.scenes.map((s) => s.date), tile.dates);
    assert.deepEqual(ev.qa.validCounts, [50176, 50176, 50176]);
    assert.equal(ev.qa.nodataCount, 0);
    const merged = await readRasterWindow(join(dir, ev.files.merged));
    assert.equal(merged.bands.length, 18);
    assert.deepEqual(merged.geoTransform, [-151935, 30, 0, 2601405, 0, -30]);
  });

  it('a chip that is not in the payload is a permanent error naming it', async () => {
    const scenes = tile.granules.map((g, i) => ({ granuleId: g, date: tile.dates[i]! }));
    const job = parseEvent(SUBJECTS.chipClip, { schemaVersion: 1, runId: 'run1', tileId: '15TVG', chipId: 'chip_999_999', scenes });
    await assert.rejects(handleChipClip(job, fakeContext(dir, tile.cdl, [])), (e: unknown) => e instanceof PermanentError && /chip_999_999/.test(e.message));
  });
});
