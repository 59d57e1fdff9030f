import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WARP_THREAD_NICENESS, createReprojectPool, currentThreadId, isValidReprojection, readRasterWindow, reprojectFile, utmEpsg, writeGeoTiff } from './index.ts';
import { reflectanceBand, sha256 } from './testing/fixtures.ts';
import { threadNiceness } from '@hls/testing';

const dir = mkdtempSync(join(tmpdir(), 'raster-pool-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('worker pool output is byte-identical to in-thread output; validity check accepts it and rejects others', async () => {
  const src = join(dir, 'src.tif');
  await writeGeoTiff(src, { width: 300, height: 300, bands: [reflectanceBand(300, 300, 9)], geoTransform: [499980, 30, 0, 4600020, 0, -30], epsg: utmEpsg(15), nodata: -9999 });
  const pool = createReprojectPool(2);
  try {
    const [a, b] = await Promise.all([pool.reproject(src, join(dir, 'a.tif')), pool.reproject(src, join(dir, 'b.tif'), { extent: 'padded' })]);
    assert.ok(b.window.width > a.window.width);
    await reprojectFile(src, join(dir, 'c.tif'));
    const ra = await readRasterWindow(join(dir, 'a.tif'));
    const rc = await readRasterWindow(join(dir, 'c.tif'));
    assert.equal(sha256(ra.bands[0]!), sha256(rc.bands[0]!));
    assert.equal(await isValidReprojection(join(dir, 'a.tif'), src), true);
    assert.equal(await isValidReprojection(join(dir, 'b.tif'), src), false, 'padded output is not the footprint window');
    assert.equal(await isValidReprojection(join(dir, 'b.tif'), src, 'padded'), true);
    assert.equal(await isValidReprojection(join(dir, 'missing.tif'), src), false);
    assert.equal(await isValidReprojection(src, src), false, 'the UTM input is not a CDL-grid output');
  } finally {
    await pool.close();
  }
});

/** Threads of this process (Linux): a worker thread is one more. */
const threadCount = (): number => readdirSync('/proc/self/task').length;

test('warm() starts every thread of the pool before any task, and they warp as cold ones do', async () => {
  const src = join(dir, 'warm-src.tif');
  await writeGeoTiff(src, { width: 200, height: 200, bands: [reflectanceBand(200, 200, 4)], geoTransform: [499980, 30, 0, 4600020, 0, -30], epsg: utmEpsg(15), nodata: -9999 });
  const pool = createReprojectPool(2);
  try {
    const before = threadCount();
    await pool.warm();
    assert.equal(threadCount(), before + 2, 'one thread per pool thread, started by warm()');
    await pool.warm();
    assert.equal(threadCount(), before + 2, 'warming again starts none');
    await pool.reproject(src, join(dir, 'warm-a.tif'));
    assert.equal(threadCount(), before + 2, 'the task ran on a warm thread');
    await reprojectFile(src, join(dir, 'warm-b.tif'));
    const a = await readRasterWindow(join(dir, 'warm-a.tif'));
    const b = await readRasterWindow(join(dir, 'warm-b.tif'));
    assert.equal(sha256(a.bands[0]!), sha256(b.bands[0]!));
  } finally {
    await pool.close();
  }
});

test('warp threads run nicer than the event loop, which keeps its priority', async () => {
  const main = currentThreadId();
  assert.ok(main !== null, 'Linux: the main thread has a thread id');
  const before = threadNiceness();
  const pool = createReprojectPool(2);
  try {
    await pool.warm();
    const after = threadNiceness();
    const started = [...after].filter(([tid]) => !before.has(tid));
    const mainNice = after.get(main)!;
    assert.equal(mainNice, before.get(main), 'the main thread is left as it was');
    const warp = started.filter(([, nice]) => nice === Math.min(19, mainNice + WARP_THREAD_NICENESS));
    assert.equal(warp.length, 2, `two warp threads ${WARP_THREAD_NICENESS} steps nicer than the main thread (new threads: ${JSON.stringify(started)})`);
  } finally {
    await pool.close();
  }
});
