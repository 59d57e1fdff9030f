import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { payload5070, writeSyntheticTile } from '@hls/chips/testing';
import { REAL_FIXTURES } from '@hls/common';

const dir = mkdtempSync(join(tmpdir(), 'cli-chipping-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const main = join(import.meta.dirname, '..', 'main.ts');
const cli = (...args: string[]) => JSON.parse(execFileSync(process.execPath, [main, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Record<string, unknown>;

test('hls-chips chip, qa, dataset all run the original scripts\' steps on files on disk', async () => {
  // 5 chips across, 1 down; chip 4 has a 60 x 60 cloud (7.2 %) in the middle date.
  const tile = await writeSyntheticTile(dir, { col0: 4480, row0: 8960, width: 5 * 224, height: 224, cloud: [3 * 224 + 10, 10, 3 * 224 + 70, 70] });
  const payload = join(dir, 'payload_5070.geojson');
  writeFileSync(payload, payload5070([0, 1, 2, 3, 4].map((k) => ({ id: `chip_040_${String(20 + k).padStart(3, '0')}`, box: tile.box(k * 224, 0) }))));
  const reclass = `${REAL_FIXTURES}/chips/cdl_total_dst.csv`;

  const c = cli('chip', '--dataset', dir, '--payload-5070', payload, '--cdl', tile.cdl, '--reclass', reclass);
  assert.equal(c.clipped, 5);
  assert.deepEqual(c.failed, []);
  const q = cli('qa', '--dataset', dir);
  assert.deepEqual([q.accepted, q.rejected, q.reasons], [4, 1, { qa: 1 }]);
  assert.ok(readFileSync(join(dir, 'track_chips.csv'), 'utf8').includes(',chip_040_023,T15TVG,'));

  const s = cli('dataset', 'split', '--dataset', dir, '--seed', '42', '--train-fraction', '0.75');
  assert.deepEqual([s.train, s.val], [3, 1]);
  const a = cli('dataset', 'all', '--dataset', dir, '--seed', '42', '--train-fraction', '0.75');
  assert.equal(a.tracked, 5);
  for (const f of a.files as string[]) assert.ok(existsSync(join(dir, f)), f);
  assert.equal(readFileSync(join(dir, 'class_weights.csv'), 'utf8').trim().split('\n').length, 14);
  assert.throws(() => execFileSync(process.execPath, [main, 'dataset', 'split', '--dataset', dir, '--train-fraction', '2'], { stdio: 'pipe' }), /must be between 0 and 1/);

  // The dataset described: a STAC item per accepted chip, and the card.
  const st = cli('dataset', 'stac', dir);
  assert.deepEqual([st.items, st.skipped], [4, []]);
  const collection = JSON.parse(readFileSync(join(dir, 'stac', 'collection.json'), 'utf8')) as { links: { rel: string }[]; summaries: Record<string, unknown> };
  assert.equal(collection.links.filter((l) => l.rel === 'item').length, 4);
  assert.ok(collection.summaries['raster:bands'], 'band statistics from global_stats.txt');
  cli('dataset', 'card', '--dataset', dir);
  const card = readFileSync(join(dir, 'README.md'), 'utf8');
  assert.match(card, /\| accepted \| - \| 4 \|/);
  assert.match(card, /\| rejected \| qa \| 1 \|/);
  assert.throws(() => execFileSync(process.execPath, [main, 'dataset', 'stac', join(dir, 'nope')], { stdio: 'pipe' }), /hls-chips: .*nope: no such dataset directory/);
});
