import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseEvent, SUBJECTS } from '@hls/contracts';
import { assembleTrackChips, parseTrackChips } from '@hls/chips';
import { realServiceContext, type RealServiceContext } from '@hls/runtime/testing';
import { startNats, type NatsHandle } from '@hls/testing';
import { handleChipClipped } from './handler.ts';

const scenes = [
  { granuleId: 'HLS.S30.T15TVG.2022091T170851.v2.0', date: '2022-04-01' },
  { granuleId: 'HLS.S30.T15TVG.2022152T170851.v2.0', date: '2022-06-01' },
  { granuleId: 'HLS.S30.T15TVG.2022244T170851.v2.0', date: '2022-09-01' },
];
const clipped = (chipId: string, badPercents: number[], nodataCount = 0) =>
  parseEvent(SUBJECTS.chipClipped, {
    schemaVersion: 1,
    runId: 'run1',
    tileId: '15TVG',
    chipId,
    scenes,
    qa: { validCounts: [50176, 50000, 49000], badPercents, nodataCount, unmappedCdlPixels: 0 },
    files: { merged: `chips/${chipId}_merged.tif`, mask: `chips/${chipId}.mask.tif`, fmask: `chips_fmask/${chipId}_Fmask.tif` },
  });

describe('qa-filter handler', () => {
  let root = '';
  let dir = '';
  let nats: NatsHandle;
  let real: RealServiceContext;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'qa-filter-'));
    nats = await startNats();
    real = await realServiceContext({ nats, service: 'qa-filter', run: { runId: 'run1', config: { data_dir: root } } });
    dir = await real.ctx.datasetDir('run1');
    await mkdir(join(dir, 'chips'), { recursive: true });
    for (const c of ['chip_001_001', 'chip_001_002', 'chip_001_003']) {
      await writeFile(join(dir, 'chips', `${c}_merged.tif`), `merged ${c}`);
      await writeFile(join(dir, 'chips', `${c}.mask.tif`), `mask ${c}`);
    }
  });
  after(async () => {
    await real?.close();
    await nats?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('accepts below 5 %, rejects at 5 % (qa) and on one nodata value (nodata), copying only accepted chips', async () => {
    const { ctx } = real;
    await handleChipClipped(clipped('chip_001_001', [0, 4.99, 1]), ctx);
    await handleChipClipped(clipped('chip_001_002', [0, 5, 1]), ctx);
    await handleChipClipped(clipped('chip_001_003', [0, 0, 0], 1), ctx);
    const published = (await real.published()).map((p) => ({ ...p, event: p.data as Record<string, unknown> }));
    assert.deepEqual(published.map((p) => [p.subject, p.msgId, p.event.reason ?? '']), [
      ['hls.chip.accepted', 'hls.chip.accepted:run1:chip_001_001', ''],
      ['hls.chip.rejected', 'hls.chip.rejected:run1:chip_001_002', 'qa'],
      ['hls.chip.rejected', 'hls.chip.rejected:run1:chip_001_003', 'nodata'],
    ]);
    assert.equal(await readFile(join(dir, 'chips_filtered', 'chip_001_001_merged.tif'), 'utf8'), 'merged chip_001_001');
    assert.equal(await readFile(join(dir, 'chips_filtered', 'chip_001_001.mask.tif'), 'utf8'), 'mask chip_001_001');
    assert.equal(existsSync(join(dir, 'chips_filtered', 'chip_001_002_merged.tif')), false);
    assert.ok((published[1]!.event.qa as { badPercents: number[] }).badPercents[1] === 5);

    assert.equal(await assembleTrackChips(dir), 3);
    const rows = parseTrackChips(await readFile(join(dir, 'track_chips.csv'), 'utf8'));
    assert.deepEqual(rows.map((r) => r.decision), ['accepted', 'rejected', 'rejected']);
    assert.deepEqual(rows[2]!.granuleIds, scenes.map((s) => s.granuleId));
  });

  it('a missing chip file is a transient error naming the chip', async () => {
    const count = (await real.published()).length;
    await assert.rejects(handleChipClipped(clipped('chip_404_404', [0, 0, 0]), real.ctx), /chip_404_404/);
    assert.equal((await real.published()).length, count, 'nothing is published for a chip that cannot be filtered');
  });
});
