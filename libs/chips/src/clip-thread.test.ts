import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REAL_FIXTURES, systemErrorCode } from '@hls/common';
import { threadNiceness } from '@hls/testing';
import { clipChip } from './clip.ts';
import { CLIP_THREAD_NICENESS, ClipThread } from './clip-thread.ts';
import { loadReclassTable, type ReclassTable } from './reclass.ts';
import { writeSyntheticTile, type SyntheticTile } from './testing/synthetic.ts';

const FILES = ['chips/chip_a_merged.tif', 'chips/chip_a.mask.tif', 'chips_fmask/chip_a_Fmask.tif'];

describe('ClipThread', () => {
  let dir = '';
  let tile: SyntheticTile;
  let reclass: ReclassTable;
  const thread = new ClipThread();
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clip-thread-'));
    tile = await writeSyntheticTile(dir, { col0: 1000, row0: 2000, width: 240, height: 240, cloud: [10, 10, 60, 60] });
    reclass = await loadReclassTable(`${REAL_FIXTURES}/chips/cdl_total_dst.csv`);
  });
  after(async () => {
    await thread.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('clips a chip to the same bytes and QA as the event loop, at the lowest priority', async () => {
    const input = { chipId: 'chip_a', bbox5070: tile.box(8, 8), scenes: tile.granules.map((g, i) => ({ granuleId: g, date: tile.dates[i]! })) };
    const options = { datasetDir: dir, cdlSource: tile.cdl, reclass, quicklooks: true };
    const here = await clipChip(input, options);
    const bytes = FILES.map((f) => readFileSync(join(dir, f)));
    for (const f of FILES) rmSync(join(dir, f));
    const there = await thread.clip({ runId: 'r', tileId: '15TVG', input, options });
    assert.deepEqual(there, here);
    FILES.forEach((f, i) => assert.ok(readFileSync(join(dir, f)).equals(bytes[i]!), `${f}: the same bytes`));
    assert.equal(thread.clipped, 1);
    const nice = [...threadNiceness().values()];
    assert.ok(nice.includes(CLIP_THREAD_NICENESS), `a thread at nice ${CLIP_THREAD_NICENESS}: ${nice.join(' ')}`);
    assert.equal(threadNiceness().get(process.pid), 0, 'the event loop keeps its priority');
  });

  it('fails as the event loop would: the file named, the system error code kept (a missing file may still be arriving)', async () => {
    const scenes = [{ granuleId: 'HLS.S30.T15TVG.2022200T170851.v2.0', date: '2022-07-19' }, ...tile.granules.slice(1).map((g, i) => ({ granuleId: g, date: tile.dates[i + 1]! }))];
    const job = { runId: 'r', tileId: '15TVG', input: { chipId: 'chip_b', bbox5070: tile.box(8, 8), scenes }, options: { datasetDir: dir, cdlSource: tile.cdl, reclass } };
    await assert.rejects(thread.clip(job), (e: Error) => /HLS\.S30\.T15TVG\.2022200T170851\.v2\.0\.B02\.tif/.test(e.message) && systemErrorCode(e) === 'ENOENT');
    assert.equal(thread.free, true, 'free again after a failure');
  });

  it('once closed takes no chip', async () => {
    const other = new ClipThread();
    await other.close();
    assert.ok(other.stopped);
    assert.equal(other.free, false);
    const input = { chipId: 'chip_c', bbox5070: tile.box(8, 8), scenes: tile.granules.map((g, i) => ({ granuleId: g, date: tile.dates[i]! })) };
    await assert.rejects(other.clip({ runId: 'r', tileId: 't', input, options: { datasetDir: dir, cdlSource: tile.cdl, reclass } }), /the clip thread stopped/);
  });
});
