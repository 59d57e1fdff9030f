import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChipIdSchema,
  ConfigSchema,
  EventValidationError,
  GranuleId,
  SUBJECTS,
  TileId,
  fmaskChipPath,
  makeEvent,
  mergedChipPath,
  messageId,
  parseEvent,
  parseGranuleId,
  tileBandPath,
  ChipId,
} from './index.ts';

describe('ids', () => {
  it('accepts real ids and rejects hostile ones', () => {
    assert.equal(ChipId('chip_031_186'), 'chip_031_186');
    for (const bad of ['../etc', 'a/b', '..', '.hidden', 'a..b', 'chip 1', '', 'x'.repeat(129)]) {
      assert.equal(ChipIdSchema.safeParse(bad).success, false, bad);
    }
    assert.equal(TileId('15TVG'), '15TVG');
    assert.throws(() => TileId('15tvg'));
    assert.throws(() => TileId('61TVG'));
  });

  it('parses a granule id into tile and date', () => {
    const p = parseGranuleId('HLS.S30.T15TVG.2022152T170851.v2.0');
    assert.deepEqual(p, { product: 'S30', tileId: '15TVG', date: '2022-06-01', doy: 152, version: '2.0' });
    assert.throws(() => GranuleId('HLS.S30.T15TVG.2022152T170851.v2.0/../x'));
  });
});

describe('events', () => {
  it('validates at the boundary and names the field at fault', () => {
    const ev = makeEvent(SUBJECTS.chipRejected, { runId: 'r1', chipId: 'chip_001_002', reason: 'qa', detail: 'bad' } as never);
    assert.equal(ev.schemaVersion, 1);
    assert.throws(
      () => parseEvent(SUBJECTS.chipRejected, { schemaVersion: 1, runId: 'r1', chipId: '../x', reason: 'qa', detail: '' }),
      (e: unknown) => e instanceof EventValidationError && /chipId/.test(e.message),
    );
    assert.throws(() => parseEvent(SUBJECTS.chipRejected, { schemaVersion: 2, runId: 'r1', chipId: 'c', reason: 'q', detail: '' }), /schemaVersion/);
  });

  it('builds deterministic message ids and output names', () => {
    assert.equal(messageId(SUBJECTS.bandFetched, 'r1', 'G', 'B02'), 'hls.band.fetched:r1:G:B02');
    const g = GranuleId('HLS.S30.T15TVG.2022152T170851.v2.0');
    assert.equal(tileBandPath(g, 'B8A'), 'tiles/HLS.S30.T15TVG.2022152T170851.v2.0/HLS.S30.T15TVG.2022152T170851.v2.0.B8A.tif');
    assert.equal(mergedChipPath(ChipId('chip_001_002')), 'chips/chip_001_002_merged.tif');
    assert.equal(fmaskChipPath(ChipId('chip_001_002')), 'chips_fmask/chip_001_002_Fmask.tif');
  });
});

describe('config schema', () => {
  it('fills the original pipeline defaults', () => {
    const c = ConfigSchema.parse({});
    assert.equal(c.data_dir, './data');
    assert.equal(c.train_dataset_name, 'training_data');
    assert.equal(c.cmr_stac_params.stac_collection_id, 'HLSS30_2.0');
    assert.equal(c.cmr_stac_params.async_concurrency_limit, 50);
    assert.equal(c.cloud_cover_threshold, 5);
    assert.deepEqual(c.selected_hls_bands, ['B02', 'B03', 'B04', 'B8A', 'B11', 'B12', 'Fmask']);
    assert.equal(c.class_mapping['13'], 'Other');
    assert.deepEqual(c.search, { from: '2022-03-01T00:00:00Z', to: '2022-09-30T00:00:00Z' });
  });
  it('reads search.to as an instant: a bare date is that day at 00:00:00Z, as the original searched', () => {
    const c = ConfigSchema.parse({ search: { from: '2022-03-01', to: '2022-09-30' } });
    assert.deepEqual(c.search, { from: '2022-03-01T00:00:00Z', to: '2022-09-30T00:00:00Z' });
    assert.equal(ConfigSchema.parse({ search: { to: '2022-09-30T23:59:59Z' } }).search.to, '2022-09-30T23:59:59Z');
    const bad = ConfigSchema.safeParse({ search: { to: '30/09/2022' } });
    assert.equal(bad.success, false);
  });
  it('rejects unknown keys', () => {
    assert.equal(ConfigSchema.safeParse({ cloud_cover_treshold: 5 }).success, false);
  });
});
