import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chipDataset, qaDataset, reprojectedTiles } from './dataset-chips.ts';
import { loadReclassTable } from './reclass.ts';
import { payload5070, writeSyntheticTile, type SyntheticTile } from './testing/synthetic.ts';
import { parseTrackChips } from './track-chips.ts';
import { REAL_FIXTURES } from '@hls/common';

const RECLASS = `${REAL_FIXTURES}/chips/cdl_total_dst.csv`;

describe('chip and qa steps over a dataset dir', () => {
  let dir = '';
  let tile: SyntheticTile;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chipds-'));
    // 460 x 240 px: two chips side by side; the right one has a 60 x 60 cloud (7.2 %) in the middle date.
    tile = await writeSyntheticTile(dir, { col0: 4480, row0: 8960, width: 460, height: 240, cloud: [250, 10, 310, 70] });
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds complete tiles and reports incomplete ones', async () => {
    await writeFile(join(dir, 'tiles_reprojected', 'HLS.S30.T16TAB.2022100T170851.v2.0.B02.tif'), 'x');
    const { tiles, problems } = await reprojectedTiles(dir);
    assert.deepEqual(tiles.map((t) => [t.tileId, t.scenes.map((s) => s.date)]), [['15TVG', tile.dates]]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.detail, /T16TAB.*missing bands B03/);
    await rm(join(dir, 'tiles_reprojected', 'HLS.S30.T16TAB.2022100T170851.v2.0.B02.tif'));
  });

  it('clips, records, then filters: accepted chips land in chips_filtered/ and track_chips.csv has every chip', async () => {
    const payload = join(dir, 'chips_5070.geojson');
    await writeFile(
      payload,
      payload5070([
        { id: 'chip_040_020', box: tile.box(0, 5) },
        { id: 'chip_040_021', box: tile.box(224, 5) },
        { id: 'chip_099_099', box: tile.box(3000, 0) }, // on no reprojected tile
      ]),
    );
    const reclass = await loadReclassTable(RECLASS);
    const s = await chipDataset({ datasetDir: dir, payload5070: payload, cdlSource: tile.cdl, reclass });
    assert.equal(s.clipped, 2);
    assert.deepEqual(s.failed, []);
    assert.ok(existsSync(join(dir, 'chips', 'chip_040_021_merged.tif')));
    assert.ok(existsSync(join(dir, 'chips_fmask', 'chip_040_021_Fmask.tif')));

    const q = await qaDataset(dir);
    assert.deepEqual(q.accepted, ['chip_040_020']);
    assert.deepEqual(q.rejected, [{ chipId: 'chip_040_021', reason: 'qa' }]);
    assert.deepEqual((await readdir(join(dir, 'chips_filtered'))).sort(), ['chip_040_020.mask.tif', 'chip_040_020_merged.tif']);
    const rows = parseTrackChips(await readFile(join(dir, 'track_chips.csv'), 'utf8'));
    assert.deepEqual(rows.map((r) => [r.chipId, r.decision, r.reason]), [['chip_040_020', 'accepted', ''], ['chip_040_021', 'rejected', 'qa']]);
    assert.equal(rows[1]!.badPercents[1], (100 * 3600) / 50176);
    assert.deepEqual(rows[0]!.granuleIds, tile.granules);
    assert.match(await readFile(join(dir, 'track_chips.csv'), 'utf8'), /,chip_040_021,T15TVG,7\.17474489795918\d*,/);
  });
});
