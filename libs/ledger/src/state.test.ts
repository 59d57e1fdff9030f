// The reducer from events to state: the flow's vocabulary, forward only, terminal states stick.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SUBJECTS } from '@hls/contracts';
import { advance, reduceTile } from './state.ts';

const T = { runId: 'r1', tileId: '15TVG', chipIds: ['chip_1_2', 'chip_1_3'] };
const AT = '2026-12-01T00:00:00Z';

test('advance: forward only; a terminal state sticks', () => {
  assert.equal(advance(undefined, 'searched'), 'searched');
  assert.equal(advance('selected', 'searched'), 'selected');
  assert.equal(advance('selected', 'fetched'), 'fetched');
  assert.equal(advance('clipped', 'rejected'), 'rejected');
  assert.equal(advance('rejected', 'accepted'), 'rejected', 'the first terminal state wins');
  assert.equal(advance('failed', 'clipped'), 'failed');
});

test('a tile through its events: boxes from the request, granules from the selection, the reason of its end', () => {
  const boxes = [
    [0, 0, 6720, 6720],
    [6720, 0, 13440, 6720],
  ];
  let t = reduceTile(undefined, SUBJECTS.tileRequested, { ...T, chipBoxes: boxes }, AT)!;
  assert.equal(t.state, 'indexed');
  assert.deepEqual(t.chips, [
    { chipId: 'chip_1_2', bbox5070: boxes[0] },
    { chipId: 'chip_1_3', bbox5070: boxes[1] },
  ]);
  t = reduceTile(t, SUBJECTS.tileSearched, T, AT)!;
  assert.equal(t.state, 'searched');
  const granuleIds = ['HLS.S30.T15TVG.2022152T170851.v2.0', 'HLS.S30.T15TVG.2022182T170851.v2.0', 'HLS.S30.T15TVG.2022222T170851.v2.0'];
  t = reduceTile(t, SUBJECTS.sceneSelected, { ...T, granuleIds }, AT)!;
  assert.deepEqual([t.state, t.granuleIds], ['selected', granuleIds]);
  assert.equal(reduceTile(t, SUBJECTS.sceneSelected, { ...T, granuleIds }, AT), undefined, 'the 2nd and 3rd scene change nothing');
  assert.equal(reduceTile(t, SUBJECTS.bandReprojected, { ...T, granuleId: granuleIds[0], band: 'B04' }, AT), undefined, 'band events mark no tile state');
  const failed = reduceTile(t, SUBJECTS.tileFailed, { ...T, reason: 'dlq:ipfs-fetcher', detail: 'no provider' }, AT)!;
  assert.deepEqual([failed.state, failed.reason, failed.detail, failed.chips?.length], ['failed', 'dlq:ipfs-fetcher', 'no provider', 2]);
  assert.equal(reduceTile(failed, SUBJECTS.tileReprojected, T, AT), undefined, 'a failed tile stays failed');
  assert.equal(reduceTile(undefined, SUBJECTS.chipClipped, { ...T, chipId: 'chip_1_2' }, AT), undefined, 'chip events are not tile events');
});
