// Issue 15, items 9 and 10: a clipped chip corrupted in place (same size, flipped bytes) is clipped again,
// never reused; a stale corrupt copy in chips_filtered/ is copied again (or dropped when no good copy is left).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REAL_FIXTURES } from '@hls/common';
import { DATASET_DIRS } from '@hls/contracts';
import { clipChip, readClipRecord, type ClippedChip } from './clip.ts';
import { filterChip, refreshFiltered } from './filter.ts';
import { loadReclassTable, type ReclassTable } from './reclass.ts';
import { writeSyntheticTile, type SyntheticTile } from './testing/synthetic.ts';

/** Flip 64 bytes in the middle of a file: same size, other bytes. */
function corruptInPlace(path: string): void {
  const b = readFileSync(path);
  const size = b.length;
  for (let i = size >> 1; i < (size >> 1) + 64; i++) b[i] = b[i]! ^ 0xff;
  writeFileSync(path, b);
  assert.equal(statSync(path).size, size);
}

async function clipChipOk(...args: Parameters<typeof clipChip>): Promise<ClippedChip> {
  const r = await clipChip(...args);
  assert.ok(r.ok, JSON.stringify(r));
  return r;
}

describe('clipped chips carry checksums', () => {
  let dir = '';
  let tile: SyntheticTile;
  let reclass: ReclassTable;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chips-integrity-'));
    tile = await writeSyntheticTile(dir, { col0: 224 * 3000, row0: 224 * 1000, width: 300, height: 300 });
    reclass = await loadReclassTable(`${REAL_FIXTURES}/chips/cdl_total_dst.csv`);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const clip = (chipId: string) =>
    clipChipOk({ chipId, bbox5070: tile.box(10, 20), scenes: tile.granules.map((g, i) => ({ granuleId: g, date: tile.dates[i]! })) }, { datasetDir: dir, cdlSource: tile.cdl, reclass, reuse: true });

  it('a merged or Fmask chip corrupted in place is clipped again, to the same bytes, not reused', async () => {
    const first = await clip('chip_a');
    assert.ok(!first.reused);
    const rec = await readClipRecord(dir, 'chip_a');
    assert.match(rec?.sha256?.merged ?? '', /^[0-9a-f]{64}$/);
    const merged = join(dir, first.files.merged);
    const good = readFileSync(merged);
    assert.ok((await clip('chip_a')).reused, 'an intact clip is reused');

    corruptInPlace(merged);
    const redone = await clip('chip_a');
    assert.ok(!redone.reused, 'the corrupt clip is not reused');
    assert.deepEqual(readFileSync(merged), good, 'clipped again to the same bytes');

    corruptInPlace(join(dir, first.files.fmask));
    assert.equal((await clip('chip_a')).reused, undefined);
    assert.ok((await clip('chip_a')).reused);
  });

  it('refreshFiltered copies a corrupt chips_filtered/ file again from chips/, or drops the chip when no good copy is left', async () => {
    const r = await clip('chip_b');
    const { decision } = await filterChip(dir, { chipId: 'chip_b', tileId: '15TVG', qa: r.qa, scenes: r.scenes });
    assert.ok(decision.accepted);
    const filteredMerged = join(dir, DATASET_DIRS.filtered, 'chip_b_merged.tif');
    const filteredMask = join(dir, DATASET_DIRS.filtered, 'chip_b.mask.tif');
    const good = readFileSync(filteredMerged);
    assert.deepEqual(await refreshFiltered(dir), { recopied: [], removed: [] }, 'intact files are left as they are');

    // A stale copy corrupted in place: redone from chips/.
    corruptInPlace(filteredMerged);
    assert.deepEqual(await refreshFiltered(dir), { recopied: [`${DATASET_DIRS.filtered}/chip_b_merged.tif`], removed: [] });
    assert.deepEqual(readFileSync(filteredMerged), good);

    // A file nobody recorded (put there by hand) is not ours to judge.
    writeFileSync(join(dir, DATASET_DIRS.filtered, 'chip_hand.mask.tif'), 'not a tiff');
    // Both the filtered mask and its source corrupt: the chip's two filtered files go.
    corruptInPlace(filteredMask);
    corruptInPlace(join(dir, r.files.mask));
    assert.deepEqual(await refreshFiltered(dir), { recopied: [], removed: ['chip_b'] });
    assert.equal(existsSync(filteredMerged), false);
    assert.equal(existsSync(filteredMask), false);
    assert.ok(existsSync(join(dir, DATASET_DIRS.filtered, 'chip_hand.mask.tif')));
  });
});
