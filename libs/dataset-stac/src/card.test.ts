import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLASS_NAMES, ConfigSchema, withoutSecrets } from '@hls/contracts';
import { countOutcomes, writeDatasetCard } from './card.ts';

const TUL = ['HLS.S30.T15TUL.2022077T164320.v2.0', 'HLS.S30.T15TUL.2022118T160500.v2.0', 'HLS.S30.T15TUL.2022264T163451.v2.0'];
const DATES = ['2022-03-18', '2022-04-28', '2022-09-21'];

describe('dataset card', () => {
  let dir = '';
  before(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'dataset-card-')), 'crops2022');
    // The card reads only the dataset's records and tables: clip records, split, stats, class counts, weights.
    await mkdir(join(dir, '.chip_qa'), { recursive: true });
    for (const id of ['chip_001_001', 'chip_001_002']) {
      const scenes = TUL.map((granuleId, t) => ({ granuleId, date: DATES[t] }));
      await writeFile(join(dir, '.chip_qa', `${id}.json`), JSON.stringify({ bbox5070: [0, 0, 6720, 6720], scenes, files: { merged: `chips/${id}_merged.tif`, mask: `chips/${id}.mask.tif`, fmask: `chips_fmask/${id}_Fmask.tif` } }));
    }
    await writeFile(join(dir, 'train_ids.csv'), 'ids\n001_001\n');
    await writeFile(join(dir, 'val_ids.csv'), 'ids\n001_002\n');
    await writeFile(join(dir, 'global_stats.txt'), 'min: [1, 2, 3, 4, 5, 6]\nmax: [10, 20, 30, 40, 50, 60]\nmean: [5.5, 6, 7, 8, 9, 10]\nstd: [1, 1, 1, 1, 1, 1]\n');
    await mkdir(join(dir, 'plots'), { recursive: true });
    const head = `chip_id,${CLASS_NAMES.map((_, i) => i).join(',')}`;
    await writeFile(join(dir, 'plots', 'training_dst.csv'), `${head}\nchip_001_001,0,100,0,300,0,0,0,0,0,0,0,0,0,0\n`);
    await writeFile(join(dir, 'plots', 'validation_dst.csv'), `${head}\nchip_001_002,0,0,0,100,0,0,0,0,0,0,0,0,0,0\n`);
    await writeFile(join(dir, 'class_weights.csv'), CLASS_NAMES.map((_, i) => `${i}, ${i === 1 ? 0.75 : i === 3 ? 0.25 : 0}`).join('\n') + '\n');
  });
  after(async () => {
    if (dir) await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('counts chips by state and reason (reason detail after ":" folded), terminal states first', () => {
    const rows = countOutcomes([
      { state: 'rejected', reason: 'qa' },
      { state: 'failed', reason: 'band-unavailable: B02 (tried ipfs)' },
      { state: 'accepted' },
      { state: 'rejected', reason: 'no-scenes' },
      { state: 'rejected', reason: 'no-scenes' },
      { state: 'not clipped', reason: 'x' },
    ]);
    assert.deepEqual(rows, [
      { state: 'accepted', reason: '', chips: 1 },
      { state: 'rejected', reason: 'no-scenes', chips: 2 },
      { state: 'rejected', reason: 'qa', chips: 1 },
      { state: 'failed', reason: 'band-unavailable', chips: 1 },
      { state: 'not clipped', reason: 'x', chips: 1 },
    ]);
  });

  it('README.md: outcomes, class table with weights, split, band stats, the config without credentials, version, loading snippets', async () => {
    const config = ConfigSchema.parse({ nats: { url: 'nats://alice:s3cret@127.0.0.1:4222', token: 'tok3n' }, dataset: { license: 'CC-BY-4.0', citation: 'Crops 2022' } });
    const r = await writeDatasetCard(dir, {
      chipIds: ['chip_001_001', 'chip_001_002'],
      outcomes: [{ state: 'accepted' }, { state: 'accepted' }, { state: 'rejected', reason: 'qa' }],
      config: withoutSecrets(config),
      describe: config.dataset!,
      software: { name: 'hls-crop-chips', version: '9.9.9' },
      sourceCatalogue: 'https://cmr.earthdata.nasa.gov/stac/LPCLOUD',
    });
    const text = await readFile(join(dir, 'README.md'), 'utf8');
    assert.equal(text, r.text);
    assert.match(text, /\*\*License\*\*: CC-BY-4\.0/);
    assert.match(text, /\*\*Citation\*\*: Crops 2022/);
    assert.match(text, /2 accepted \(1 train, 1 validation\), scenes from 2022-03-18 to 2022-09-21/);
    assert.match(text, /hls-crop-chips 9\.9\.9/);
    assert.match(text, /\| rejected \| qa \| 1 \|/);
    assert.match(text, /\| 3 \| Corn \| 300 \| 100 \| 80 % \| 0\.2500 \|/);
    assert.match(text, /\| 1 \| Natural Vegetation \| 100 \| 0 \| 20 % \| 0\.7500 \|/);
    assert.match(text, /\| B02 \| 5\.50 \| 1 \| 1 \| 10 \|/);
    assert.match(text, /class_path: terratorch\.datamodules\.GenericNonGeoSegmentationDataModule/);
    assert.match(text, /means: \[5\.5,6,7,8,9,10,5\.5,6,7,8,9,10,5\.5,6,7,8,9,10\]/);
    assert.match(text, /pystac\.Collection\.from_file/);
    assert.match(text, /## Config used/);
    assert.match(text, /url: nats:\/\/127\.0\.0\.1:4222/);
    assert.doesNotMatch(text, /s3cret|tok3n|alice/);
  });
});
