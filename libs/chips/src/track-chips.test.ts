import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pyFloat } from './csv.ts';
import { assembleTrackChips, formatTrackChips, parseTrackChips, writeTrackRecord, type TrackChipRow } from './track-chips.ts';

const row = (chipId: string, bad: number[]): TrackChipRow => ({
  chipId,
  tileId: '15TVG',
  validCounts: [50176, 50000, 49000],
  badPercents: bad,
  naCount: 0,
  dates: ['2022-04-01', '2022-06-01', '2022-09-01'],
  granuleIds: ['HLS.S30.T15TVG.2022091T170851.v2.0', 'HLS.S30.T15TVG.2022152T170851.v2.0', 'HLS.S30.T15TVG.2022244T170851.v2.0'],
  decision: 'accepted',
  reason: '',
});

describe('track_chips.csv', () => {
  it('has the original columns in order, then ours, and round-trips', () => {
    const text = formatTrackChips([row('chip_002_001', [0, 0.5, 4.25]), row('chip_001_001', [0, 0, 0])]);
    const lines = text.trim().split('\n');
    assert.equal(
      lines[0],
      'valid_first,valid_second,valid_third,bad_pct_first,bad_pct_second,bad_pct_third,na_count,first_image_date,second_image_date,third_image_date,chip_id,tile,bad_pct_max,first_granule_id,second_granule_id,third_granule_id,decision,reason',
    );
    assert.ok(lines[1]!.includes(',chip_001_001,T15TVG,0.0,'));
    assert.ok(lines[2]!.startsWith('50176,50000,49000,0.0,0.5,4.25,0,2022-04-01,2022-06-01,2022-09-01,chip_002_001,T15TVG,4.25,HLS.S30.T15TVG.2022091T170851.v2.0'));
    const back = parseTrackChips(text);
    assert.deepEqual(back[1], row('chip_002_001', [0, 0.5, 4.25]));
  });

  it('assembles per-chip records written by several replicas', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'track-'));
    try {
      await writeTrackRecord(dir, row('chip_b', [1, 2, 3]));
      await writeTrackRecord(dir, { ...row('chip_a', [9, 0, 0]), decision: 'rejected', reason: 'qa' });
      await writeTrackRecord(dir, row('chip_b', [1, 2, 3])); // redelivery: same file
      assert.equal(await assembleTrackChips(dir), 2);
      const rows = parseTrackChips(await readFile(join(dir, 'track_chips.csv'), 'utf8'));
      assert.deepEqual(rows.map((r) => [r.chipId, r.decision, r.reason]), [['chip_a', 'rejected', 'qa'], ['chip_b', 'accepted', '']]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('formats floats like Python repr', () => {
    assert.deepEqual([0, 5, 0.1, 1e-5, 4.998405612244898, 1e16, -2].map(pyFloat), ['0.0', '5.0', '0.1', '1e-05', '4.998405612244898', '1e+16', '-2.0']);
  });
});
