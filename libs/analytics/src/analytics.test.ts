import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLASS_COUNT } from '@hls/contracts';
import { computeBandStats } from './band-stats.ts';
import { balancedClassWeights } from './class-weights.ts';
import { buildDataset } from './dataset.ts';
import { Int16Histogram } from './histogram.ts';
import { CHART_SIZE } from './plot.ts';
import { readChip, type ReadChip } from './layout.ts';
import { splitChipIds } from './split.ts';
import { python, writeFilteredChips } from './testing/python.ts';

const CHIPS = Array.from({ length: 11 }, (_, i) => `chip_${String(100 + i * 7).padStart(3, '0')}_${String(200 - i * 3).padStart(3, '0')}`);

describe('split', () => {
  it('is numpy\'s seeded shuffle of the sorted ids, 80/20', () => {
    for (const seed of [42, 7]) {
      const ids = [...CHIPS].reverse();
      const s = splitChipIds(ids, { seed });
      const expected = JSON.parse(
        python(
          'import sys, json, numpy as np\nids = sorted(sys.argv[2:]); np.random.seed(int(sys.argv[1])); np.random.shuffle(ids)\nn = int(0.8 * len(ids)); print(json.dumps([ids[:n], ids[n:]]))',
          [String(seed), ...ids],
        ),
      ) as [string[], string[]];
      assert.deepEqual([s.train, s.val], expected, `seed ${seed}`);
    }
    assert.equal(splitChipIds(CHIPS).train.length, 8);
  });
});

describe('Int16Histogram', () => {
  it('gives numpy\'s percentiles, mean and std on awkward values', () => {
    const values = Int16Array.from([-32768, 32767, 0, 0, 1, 5, 5, 5, 9, 10000, -3, 7]);
    const h = new Int16Histogram();
    h.add(values);
    const exp = JSON.parse(
      python(
        'import sys, json, numpy as np\nv = np.array([int(x) for x in sys.argv[1:]], dtype=float)\nprint(json.dumps([v.mean(), v.std()] + [np.percentile(v, p) for p in (0, 1.5, 25, 50, 98.5, 100, 33.3)]))',
        [...values].map(String),
      ),
    ) as number[];
    assert.equal(h.mean(), exp[0]);
    assert.ok(Math.abs(h.std() - exp[1]!) <= 1e-9 * exp[1]!);
    assert.deepEqual([0, 1.5, 25, 50, 98.5, 100, 33.3].map((p) => h.percentile(p)), exp.slice(2));
    assert.throws(() => h.add([1.5], 'f.tif'), /f\.tif: value 1\.5 at index 0/);
  });

  it('counts the same when read between adds (its pending counts are moved, then counted on)', () => {
    const whole = new Int16Histogram();
    const parts = new Int16Histogram();
    // Long runs of one value (a flat field) and a spread of others, in both integer kinds.
    const a = new Int16Array(5000).fill(-9999);
    const b = Int16Array.from({ length: 7000 }, (_, i) => ((i * 7919) % 20001) - 10000);
    const c = Array.from({ length: 300 }, (_, i) => (i % 3) - 1);
    for (const v of [a, b, c]) whole.add(v);
    parts.add(a);
    assert.equal(parts.percentile(50), -9999);
    parts.add(b);
    assert.equal(parts.n, 12000);
    assert.ok(Number.isFinite(parts.std()));
    parts.add(c);
    assert.deepEqual([...parts.counts], [...whole.counts]);
    assert.equal(parts.n, whole.n);
    assert.deepEqual([parts.mean(), parts.std(), parts.percentile(1.5), parts.percentile(98.5)], [whole.mean(), whole.std(), whole.percentile(1.5), whole.percentile(98.5)]);
    assert.equal(parts.counts[-9999 + 32768], 5000 + b.filter((v) => v === -9999).length);
  });
});

describe('class weights', () => {
  it('follow sklearn\'s balanced formula over the non-zero classes present, normalised', () => {
    const counts = [500, 10, 0, 300, 40, 1, 0, 0, 0, 0, 0, 0, 0, 7];
    const w = balancedClassWeights(counts);
    const present = [1, 3, 4, 5, 13];
    const n = present.reduce((a, c) => a + counts[c]!, 0);
    const raw = present.map((c) => n / (present.length * counts[c]!));
    const sum = raw.reduce((a, b) => a + b, 0);
    assert.equal(w.length, CLASS_COUNT);
    assert.equal(w[0], 0);
    present.forEach((c, i) => assert.ok(Math.abs(w[c]! - raw[i]! / sum) < 1e-15));
    assert.equal(w[2], 0);
    assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  });
});

describe('buildDataset over a chips_filtered/ written by rasterio', () => {
  let dir = '';
  const SIZE = 40;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'analytics-'));
    await mkdir(join(dir, 'chips_filtered'));
    writeFilteredChips(join(dir, 'chips_filtered'), CHIPS, SIZE, 5);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the split, stats equal to numpy, weights, and decodable plots', async () => {
    const summary = await buildDataset(dir, { seed: 42 });
    assert.equal(summary.train, 8);
    assert.equal(summary.val, 3);

    // Split files: the original's ids column, and the published dataset's lists.
    const trainCsv = (await readFile(join(dir, 'train_ids.csv'), 'utf8')).trim().split('\n');
    assert.equal(trainCsv[0], 'ids');
    const trainTxt = (await readFile(join(dir, 'training_data.txt'), 'utf8')).trim().split('\n');
    assert.deepEqual(trainCsv.slice(1).map((s) => `chip_${s}`), trainTxt);
    assert.deepEqual(trainTxt, splitChipIds(CHIPS, { seed: 42 }).train);
    const valTxt = (await readFile(join(dir, 'validation_data.txt'), 'utf8')).trim().split('\n');
    assert.deepEqual([...trainTxt, ...valTxt].sort(), [...CHIPS].sort());

    // Band stats: the original's computation (calc_band_mean_sd.py) in numpy, printed the same way.
    const oracle = JSON.parse(
      python(
        `
import sys, glob, json, numpy as np, rasterio
d = sys.argv[1]
files = sorted(glob.glob(d + '/chips_filtered/*merged.tif'))
out = []
for i, bands in enumerate([[1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 16], [5, 11, 17], [6, 12, 18]]):
    vals_all = np.ndarray([0])
    for f in files:
        with rasterio.open(f) as src:
            vals_all = np.concatenate([vals_all, src.read(bands).flatten()])
    lo, hi = np.nanpercentile(vals_all, 1.5), np.nanpercentile(vals_all, 98.5)
    c = np.clip(vals_all, lo, hi)
    text = f"Mean: {vals_all.mean()}\\nStd: {vals_all.std()}\\nMin: {np.min(c)}\\nMax: {np.max(c)}\\n"
    npy = np.load(f'{d}/band_stats/band_values_{i + 1}.npy')
    out.append(dict(text=text, mean=vals_all.mean(), std=vals_all.std(), npy_equal=bool(np.array_equal(npy, vals_all)), n=int(vals_all.size)))
print(json.dumps(out))
`,
        [dir],
      ),
    ) as { text: string; mean: number; std: number; npy_equal: boolean; n: number }[];
    assert.equal(oracle.length, 6);
    for (const [i, o] of oracle.entries()) {
      const ours = await readFile(join(dir, 'band_stats', `band_values_${i + 1}.txt`), 'utf8');
      const [m, s, mn, mx] = ours.split('\n');
      const [om, os, omn, omx] = o.text.split('\n');
      assert.equal(m, om, `band ${i + 1} mean`);
      assert.equal(mn, omn, `band ${i + 1} min`);
      assert.equal(mx, omx, `band ${i + 1} max`);
      // std: numpy sums squares pairwise; ours sums per histogram bin. Equal to ~1e-12 relative.
      const ourStd = Number(s!.replace('Std: ', ''));
      assert.ok(Math.abs(ourStd - o.std) <= 1e-11 * o.std, `band ${i + 1} std ${ourStd} vs ${os}`);
      assert.equal(o.n, CHIPS.length * 3 * SIZE * SIZE);
      assert.ok(o.npy_equal, `band_values_${i + 1}.npy equals the concatenated values`);
    }
    const global = await readFile(join(dir, 'global_stats.txt'), 'utf8');
    assert.match(global, /^min: \[[^\]]+\]\nmax: \[[^\]]+\]\nmean: \[[^\]]+\]\nstd: \[[^\]]+\]\n$/);
    assert.equal(global.split('\n')[2]!.split(',').length, 6);

    // Class weights: the formula in numpy over every mask, non-zero classes present.
    const w = JSON.parse(
      python(
        `
import sys, glob, json, numpy as np, rasterio
y = np.concatenate([rasterio.open(f).read().flatten() for f in sorted(glob.glob(sys.argv[1] + '/chips_filtered/*mask.tif'))])
y = y[y != 0]
classes = np.unique(y)
cw = len(y) / (len(classes) * np.bincount(y)[classes])
cw = cw / cw.sum()
out = [0.0] * 14
for c, v in zip(classes, cw): out[int(c)] = float(v)
print(json.dumps(out))
`,
        [dir],
      ),
    ) as number[];
    const lines = (await readFile(join(dir, 'class_weights.csv'), 'utf8')).trim().split('\n');
    assert.equal(lines.length, 14);
    lines.forEach((l, i) => {
      const [idx, v] = l.split(', ');
      assert.equal(Number(idx), i);
      assert.ok(Math.abs(Number(v) - w[i]!) < 1e-12, `class ${i}: ${v} vs ${w[i]}`);
    });
    assert.equal(lines[0], '0, 0.0');
    assert.equal(lines[12], '12, 0.0');

    // Distribution: per-chip counts add up; PNGs decode (GDAL's PNG driver) at the chart size, with bars.
    const counts = (await readFile(join(dir, 'plots', 'training_dst.csv'), 'utf8')).trim().split('\n');
    assert.equal(counts.length, 1 + 8);
    for (const row of counts.slice(1)) assert.equal(row.split(',').slice(1).map(Number).reduce((a, b) => a + b, 0), SIZE * SIZE);
    // The PNGs at the dataset root, where generate_class_distribution.py writes them.
    for (const name of ['training_dst.png', 'validation_dst.png']) {
      const info = JSON.parse(
        python(
          `
import sys, json, rasterio, numpy as np
with rasterio.open(sys.argv[1]) as f:
    a = f.read()
bar = (a[0] == 31) & (a[1] == 119) & (a[2] == 180)
print(json.dumps([f.driver, f.width, f.height, int(bar.sum()), int((a[0] < 100).sum())]))
`,
          [join(dir, name)],
        ),
      ) as [string, number, number, number, number];
      assert.equal(info[0], 'PNG');
      assert.equal(info[1], CHART_SIZE.width);
      assert.equal(info[2], CHART_SIZE.height);
      assert.ok(info[3] > 2000, `${name}: bars drawn (${info[3]} bar pixels)`);
    }
    assert.ok(summary.files.includes('validation_dst.png') && summary.files.includes('training_dst.png'));
    assert.ok(!summary.files.some((f) => f.startsWith('plots/') && f.endsWith('.png')));
  });

  it('reads each chip file of the dataset once (the class weights and the distribution share the masks\' counts)', async () => {
    const reads = new Map<string, number>();
    const read: ReadChip = (f) => {
      reads.set(f, (reads.get(f) ?? 0) + 1);
      return readChip(f);
    };
    await buildDataset(dir, { seed: 42, read });
    const files = [...reads.keys()].map((f) => f.split('/').pop()!).sort();
    assert.deepEqual(files, CHIPS.flatMap((c) => [`${c}.mask.tif`, `${c}_merged.tif`]).sort());
    assert.deepEqual([...new Set(reads.values())], [1]);
  });

  it('counts the bands on threads (each reading only its bands) with the same stats and .npy bytes as on one thread', async () => {
    const files = CHIPS.map((c) => join(dir, 'chips_filtered', `${c}_merged.tif`));
    const one = join(dir, 'npy-one');
    const single = await computeBandStats(files, { threads: 1, npyDir: one });
    for (const threads of [2, 4]) {
      const npyDir = join(dir, `npy-${threads}`);
      assert.deepEqual(await computeBandStats(files, { threads, npyDir }), single, `${threads} threads`);
      for (let i = 1; i <= 6; i++) {
        const [a, b] = await Promise.all([readFile(join(one, `band_values_${i}.npy`)), readFile(join(npyDir, `band_values_${i}.npy`))]);
        assert.ok(a.equals(b), `band_values_${i}.npy on ${threads} threads`);
      }
    }
    // A file that is not a merged chip fails its thread, and the error names it.
    const mask = join(dir, 'chips_filtered', `${CHIPS[3]}.mask.tif`);
    await assert.rejects(computeBandStats([...files.slice(0, 3), mask], { threads: 3 }), (e: Error) => e.message.includes(mask) && /has 1 bands, a merged chip has 18/.test(e.message));
  });

  it('names the file when a mask holds a value that is not a class', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'analytics-bad-'));
    try {
      await mkdir(join(bad, 'chips_filtered'));
      python(
        'import sys, numpy as np, rasterio, rasterio.transform\nwith rasterio.open(sys.argv[1], "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8", crs="EPSG:5070", transform=rasterio.transform.from_origin(0, 0, 30, 30)) as f: f.write(np.full((1, 4, 4), 77, dtype="uint8"))',
        [join(bad, 'chips_filtered', 'chip_001_001.mask.tif')],
      );
      const { writeClassWeights } = await import('./class-weights.ts');
      await assert.rejects(writeClassWeights(bad), /chip_001_001\.mask\.tif band 1: value 77 at pixel 0 is not a class/);
    } finally {
      await rm(bad, { recursive: true, force: true });
    }
  });
});
