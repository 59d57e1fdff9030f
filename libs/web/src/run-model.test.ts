import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SUBJECTS } from '@hls/contracts';
import { applyEvent, applyKvChip, newRunModel, snapshot, traceIdOf } from './run-model.ts';
import { RUN, accepted, clipped, indexed, rejected, tileReady } from './testing/events.ts';

const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

test('chips move through the stages and end in one terminal state', () => {
  const m = newRunModel(RUN);
  for (const s of [indexed('chip_1_1', '15TVG', [-93, 42]), indexed('chip_1_2', '15TVG', [-93.1, 42])]) applyEvent(m, s.subject, s.data);
  assert.deepEqual(snapshot(m).counts, { indexed: 2, searched: 0, selected: 0, fetched: 0, reprojected: 0, clipped: 0, accepted: 0, rejected: 0, failed: 0 });
  const changed = applyEvent(m, SUBJECTS.tileReprojected, tileReady('15TVG', ['chip_1_1', 'chip_1_2']).data);
  assert.deepEqual(changed.sort(), ['chip_1_1', 'chip_1_2']);
  assert.equal(m.chips.get('chip_1_1')?.state, 'reprojected');
  assert.equal(m.chips.get('chip_1_2')?.scenes?.[2]?.date, '2022-08-10');
  applyEvent(m, SUBJECTS.chipClipped, clipped('chip_1_1', '15TVG').data, TRACE);
  applyEvent(m, SUBJECTS.chipAccepted, accepted('chip_1_1', '15TVG').data, TRACE);
  applyEvent(m, SUBJECTS.chipRejected, rejected('chip_1_2', '15TVG').data);
  // A late, different terminal event does not overwrite the first (as in the KV).
  applyEvent(m, SUBJECTS.chipRejected, rejected('chip_1_1', '15TVG').data);
  // A stale earlier-stage event does not move a chip back.
  applyEvent(m, SUBJECTS.chipClipped, clipped('chip_1_2', '15TVG').data);
  const s = snapshot(m);
  assert.equal(s.counts.accepted, 1);
  assert.equal(s.counts.rejected, 1);
  const a = s.chips.find((c) => c.id === 'chip_1_1');
  const r = s.chips.find((c) => c.id === 'chip_1_2');
  assert.equal(a?.state, 'accepted');
  assert.deepEqual(a?.traceIds, ['4bf92f3577b34da6a3ce929d0e0e4736']);
  assert.equal(a?.reason, undefined);
  assert.equal(r?.reason, 'qa');
  assert.equal(r?.qa?.badPercents[0], 40.2);
  assert.equal(r?.tileId, '15TVG');
});

test('events of other runs are ignored and invalid ones are recorded, not applied', () => {
  const m = newRunModel(RUN);
  const other = indexed('chip_9_9', '15TVG', [-93, 42]);
  assert.deepEqual(applyEvent(m, other.subject, { ...other.data, runId: 'another-run' }), []);
  assert.deepEqual(applyEvent(m, SUBJECTS.chipAccepted, { schemaVersion: 1, runId: RUN, chipId: '../evil' }), []);
  assert.equal(m.chips.size, 0);
  assert.equal(m.invalid.length, 1);
  assert.match(m.invalid[0]?.error ?? '', /chipId/);
});

test('traceIdOf reads W3C traceparent and refuses malformed or all-zero ids', () => {
  assert.equal(traceIdOf(TRACE), '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(traceIdOf('00-00000000000000000000000000000000-00f067aa0ba902b7-01'), undefined);
  assert.equal(traceIdOf('garbage'), undefined);
  assert.equal(traceIdOf(undefined), undefined);
});

test('KV terminal records fill in chips without events; a later terminal event adds its details, not a second state', () => {
  const m = newRunModel(RUN);
  assert.equal(applyKvChip(m, 'chip_2_2', { state: 'rejected', tileId: '15TVG', reason: 'qa: bad Fmask value 40.20 % in date 1', at: 'x' }), true);
  assert.equal(applyKvChip(m, 'counts', { accepted: 1, rejected: 0, failed: 0 }), false, 'the counts record is not a chip');
  assert.equal(applyKvChip(m, '../x', { state: 'failed' }), false);
  const c = m.chips.get('chip_2_2');
  assert.equal(c?.state, 'rejected');
  assert.equal(c?.reason, 'qa');
  assert.equal(c?.detail, 'bad Fmask value 40.20 % in date 1');
  applyEvent(m, SUBJECTS.chipRejected, rejected('chip_2_2', '15TVG').data);
  applyEvent(m, SUBJECTS.chipAccepted, accepted('chip_2_2', '15TVG').data);
  assert.equal(m.chips.get('chip_2_2')?.state, 'rejected');
  assert.equal(m.chips.get('chip_2_2')?.qa?.badPercents[0], 40.2);
  assert.equal(snapshot(m).counts.rejected, 1);
  assert.equal(m.chips.size, 1);
});
