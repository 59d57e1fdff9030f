import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigSchema, GranuleId, RunId, TileId, tileBandPath } from '@hls/contracts';
import type { BANDS, EventOf } from '@hls/contracts';
import { createReprojectPool, readRasterWindow, utmEpsg, writeGeoTiff } from '@hls/raster';
import { PermanentError } from '@hls/runtime';
import type { ServiceContext } from '@hls/runtime';
import { bandFetchedHandler, lazyReprojectPool } from './handler.ts';
import { sparseHugeGeoTiff } from '@hls/raster/testing';

const dir = mkdtempSync(join(tmpdir(), 'reprojector-'));
// The test's own pool of one worker, given to the handler as its service gives it one.
const pool = createReprojectPool(1);
const handleBandFetched = bandFetchedHandler({ pool: () => pool });
after(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Published {
  subject: string;
  event: unknown;
  msgId: string;
}

function fakeContext(
  published: Published[],
  stac: { type: 'api' | 'directory'; path?: string } = { type: 'api' },
  chips?: Array<[number, number, number, number]>,
): ServiceContext {
  const noop = () => undefined;
  const log = { info: noop, warn: noop, error: noop, debug: noop, child: () => log };
  return {
    service: 'reprojector',
    log,
    run: async () => ({ config: ConfigSchema.parse({ reproject: { extent: 'footprint', workers: 1 }, stac, processing: chips ? 'chips' : 'tiles' }) }),
    // The ledger's tile record: the chips mode reads the tile's chip boxes from it.
    ledger: { tile: async () => (chips ? { chips: chips.map((bbox5070, i) => ({ chipId: `chip_${i}_0`, bbox5070 })) } : undefined) },
    datasetDir: async () => dir,
    publish: async (subject: string, event: unknown, msgId: string) => {
      published.push({ subject, event, msgId });
    },
    kv: {},
    working: noop,
    annotate: noop,
    signal: new AbortController().signal,
  } as unknown as ServiceContext;
}

const granule = GranuleId('HLS.S30.T15TVG.2022152T170851.v2.0');
const runId = RunId('run-1');
const tileId = TileId('15TVG');

function fetched(band: (typeof BANDS)[number]): EventOf<'hls.band.fetched'> {
  return { schemaVersion: 1, runId, tileId, granuleId: granule, band, path: tileBandPath(granule, band), bytes: 1, reused: false, source: 'ipfs' };
}

test('warps a fetched band to tiles_reprojected, publishes once per band with a deterministic id, reuses valid output', async () => {
  const n = 200;
  const refl = new Int16Array(n * n).map((_, i) => (i % 977) - 5);
  const fmask = new Uint8Array(n * n).map((_, i) => (i % 3) * 64);
  const gt: [number, number, number, number, number, number] = [499980, 30, 0, 4600020, 0, -30];
  await writeGeoTiff(join(dir, tileBandPath(granule, 'B04')), { width: n, height: n, bands: [refl], geoTransform: gt, epsg: utmEpsg(15), nodata: -9999 });
  await writeGeoTiff(join(dir, tileBandPath(granule, 'Fmask')), { width: n, height: n, bands: [fmask], geoTransform: gt, epsg: utmEpsg(15), nodata: 255 });
  const published: Published[] = [];
  const ctx = fakeContext(published);
  await handleBandFetched(fetched('B04'), ctx);
  await handleBandFetched(fetched('Fmask'), ctx);
  const out = join(dir, 'tiles_reprojected', `${granule}.B04.tif`);
  const r = await readRasterWindow(out);
  assert.equal(r.epsg, 5070);
  assert.equal(r.dtype, 'int16');
  const f = await readRasterWindow(join(dir, 'tiles_reprojected', `${granule}.Fmask.tif`));
  assert.equal(f.dtype, 'uint8');
  // Nearest keeps only source values.
  assert.ok(f.bands[0]!.every((v) => v === 0 || v === 64 || v === 128 || v === 255));
  assert.equal(published.length, 2);
  const first = published[0]!;
  assert.equal(first.subject, 'hls.band.reprojected');
  assert.equal(first.msgId, `hls.band.reprojected:${runId}:${granule}:B04`);
  const ev = first.event as EventOf<'hls.band.reprojected'>;
  assert.equal(ev.path, `tiles_reprojected/${granule}.B04.tif`);
  assert.equal(ev.reused, false);
  assert.deepEqual(ev.bbox5070, [r.geoTransform[0], r.geoTransform[3] - 30 * r.height, r.geoTransform[0] + 30 * r.width, r.geoTransform[3]]);

  const mtime = statSync(out).mtimeMs;
  await handleBandFetched(fetched('B04'), ctx);
  const again = published[2]!;
  assert.equal(again.msgId, first.msgId);
  assert.equal((again.event as EventOf<'hls.band.reprojected'>).reused, true);
  assert.deepEqual((again.event as EventOf<'hls.band.reprojected'>).bbox5070, ev.bbox5070);
  assert.equal(statSync(out).mtimeMs, mtime, 'valid output is not rewritten');
});

test('reads the path the event carries: a band used in place in a granule folder outside the dataset', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'granule-folder-'));
  try {
    const n = 64;
    const inPlace = join(folder, granule, `${granule}.B02.tif`);
    await writeGeoTiff(inPlace, { width: n, height: n, bands: [new Int16Array(n * n).fill(1234)], geoTransform: [499980, 30, 0, 4600020, 0, -30], epsg: utmEpsg(15), nodata: -9999 });
    const published: Published[] = [];
    await handleBandFetched({ ...fetched('B02'), path: inPlace, source: 'local' }, fakeContext(published, { type: 'directory', path: folder }));
    const r = await readRasterWindow(join(dir, 'tiles_reprojected', `${granule}.B02.tif`));
    assert.ok(r.bands[0]!.some((v) => v === 1234));
    assert.equal((published[0]?.event as EventOf<'hls.band.reprojected'>).path, `tiles_reprojected/${granule}.B02.tif`);
    assert.throws(() => statSync(join(dir, tileBandPath(granule, 'B02'))), 'nothing was copied into tiles/');
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('an event path outside the dataset and the granule folders, or naming another file, is refused before any read', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'granule-folder-'));
  try {
    const elsewhere = join(folder, granule, `${granule}.B03.tif`);
    mkdirSync(join(folder, granule), { recursive: true });
    writeFileSync(elsewhere, 'would be read');
    const hostile = [
      '../../../etc/passwd',
      `../${granule}.B03.tif`,
      elsewhere, // a real band file, but the run has no granule folders configured
      tileBandPath(granule, 'B04'), // inside the dataset, but another band's file
      `tiles/${granule}/../../../x/${granule}.B03.tif`,
    ];
    for (const path of hostile) {
      await assert.rejects(handleBandFetched({ ...fetched('B03'), path }, fakeContext([])), (e: Error) => {
        assert.ok(e instanceof PermanentError, String(e));
        assert.match(e.message, new RegExp(`band B03: event path .* is not ${granule.replace(/\./g, '\\.')}\\.B03\\.tif inside the dataset`));
        return true;
      }, path);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('a corrupt input is a permanent error naming the granule and file', async () => {
  const bad = join(dir, tileBandPath(granule, 'B11'));
  mkdirSync(join(dir, 'tiles', granule), { recursive: true });
  writeFileSync(bad, 'garbage');
  await assert.rejects(handleBandFetched(fetched('B11'), fakeContext([])), (e: Error) => e instanceof PermanentError && e.message.includes(granule) && e.message.includes(bad));
});

test('a reprojected band corrupted in place (same size, flipped bytes) is warped again, not reused (issue 15)', async () => {
  const out = join(dir, 'tiles_reprojected', `${granule}.B04.tif`);
  const published: Published[] = [];
  await handleBandFetched(fetched('B04'), fakeContext(published));
  const good = readFileSync(out);
  const bad = Buffer.from(good);
  for (let i = bad.length >> 1; i < (bad.length >> 1) + 64; i++) bad[i] = bad[i]! ^ 0xff;
  writeFileSync(out, bad);
  await handleBandFetched(fetched('B04'), fakeContext(published));
  assert.equal((published.at(-1)!.event as EventOf<'hls.band.reprojected'>).reused, false, 'not reused');
  assert.deepEqual(readFileSync(out), good, 'warped again to the same bytes');
  await handleBandFetched(fetched('B04'), fakeContext(published));
  assert.equal((published.at(-1)!.event as EventOf<'hls.band.reprojected'>).reused, true);
});

test('a sparse 100,000 x 100,000 band, or one whose IFD chain loops, fails permanently at the first delivery, in one line (issue 15)', async () => {
  mkdirSync(join(dir, 'tiles', granule), { recursive: true });
  const big = join(dir, tileBandPath(granule, 'B12'));
  sparseHugeGeoTiff(big);
  const published: Published[] = [];
  await assert.rejects(handleBandFetched(fetched('B12'), fakeContext(published)), (e: Error) => {
    assert.ok(e instanceof PermanentError, String(e));
    assert.match(e.message, new RegExp(`^granule ${granule.replace(/\./g, '\\.')} band B12: cannot reproject .*B12\\.tif: .*the input of 100000 x 100000 pixels x 1 band\\(s\\) is over the limit of \\d+ pixels x bands`));
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });

  // A band whose first IFD's next-IFD offset points to itself.
  const loop = join(dir, tileBandPath(granule, 'B8A'));
  await writeGeoTiff(loop, { width: 64, height: 64, bands: [new Int16Array(64 * 64)], geoTransform: [600000, 30, 0, 4800000, 0, -30], epsg: utmEpsg(15), nodata: -9999 });
  const b = readFileSync(loop);
  const ifd = b.readUInt32LE(4);
  b.writeUInt32LE(ifd, ifd + 2 + b.readUInt16LE(ifd) * 12);
  writeFileSync(loop, b);
  await assert.rejects(handleBandFetched(fetched('B8A'), fakeContext(published)), (e: Error) => e instanceof PermanentError && /IFD chain loops/.test(e.message));
  assert.deepEqual(published, [], 'nothing published for either');
});

test('processing: chips: only the chip windows are warped (the same pixels as the whole tile), a partial copy missing a needed block fails permanently', async () => {
  const n = 400;
  const g = GranuleId('HLS.S30.T15TVG.2022160T170851.v2.0');
  const refl = new Int16Array(n * n).map((_, i) => ((i * 7919) % 3001) - 5);
  const gt: [number, number, number, number, number, number] = [499980, 30, 0, 4600020, 0, -30];
  await writeGeoTiff(join(dir, tileBandPath(g, 'B04')), { width: n, height: n, bands: [refl], geoTransform: gt, epsg: utmEpsg(15), nodata: -9999, tiled: true, blockSize: 128 });
  const ev = { ...fetched('B04'), granuleId: g, path: tileBandPath(g, 'B04') };
  // The whole tile first (tiles mode), kept aside, then the chips mode over the same input.
  const tilesOut: Published[] = [];
  await handleBandFetched(ev, fakeContext(tilesOut));
  const out = join(dir, 'tiles_reprojected', `${g}.B04.tif`);
  const whole = await readRasterWindow(out);
  const [minX, , , maxY] = (tilesOut[0]!.event as EventOf<'hls.band.reprojected'>).bbox5070;
  const box: [number, number, number, number] = [minX + 30 * 60, maxY - 30 * (60 + 224), minX + 30 * (60 + 224), maxY - 30 * 60];
  const chipsOut: Published[] = [];
  await handleBandFetched(ev, fakeContext(chipsOut, { type: 'api' }, [box]));
  assert.equal((chipsOut[0]!.event as EventOf<'hls.band.reprojected'>).reused, false, 'a whole-tile file is not reused for chips');
  const part = await readRasterWindow(out);
  // The file's image is grown to the chip's lattice: the chip is exactly one of its 224-px blocks.
  assert.equal((box[0] - part.geoTransform[0]) % (224 * 30), 0);
  assert.equal((part.geoTransform[3] - box[3]) % (224 * 30), 0);
  const dx = (box[0] - part.geoTransform[0]) / 30;
  const dy = (part.geoTransform[3] - box[3]) / 30;
  for (let y = 0; y < 224; y++) {
    const a = part.bands[0]!.subarray((dy + y) * part.width + dx, (dy + y) * part.width + dx + 224);
    const b = whole.bands[0]!.subarray((60 + y) * whole.width + 60, (60 + y) * whole.width + 284);
    assert.deepEqual(a, b, `row ${y}`);
  }
  assert.equal(part.bands[0]![(part.height - 1) * part.width + part.width - 1], -9999, 'outside the chips: nodata');

  // A partial copy (ranged fetch) that holds only block 0: the chip needs others.
  const { writePartialCopy } = await import('@hls/raster');
  const g2 = GranuleId('HLS.S30.T15TVG.2022170T170851.v2.0');
  const full = readFileSync(join(dir, tileBandPath(g, 'B04')));
  await writePartialCopy(join(dir, tileBandPath(g2, 'B04')), full.length, [{ offset: 0, bytes: full }], [0], 'test');
  await assert.rejects(
    handleBandFetched({ ...ev, granuleId: g2, path: tileBandPath(g2, 'B04') }, fakeContext([], { type: 'api' }, [box])),
    (e: Error) => e instanceof PermanentError && /the chips need source block\(s\)/.test(e.message) && e.message.includes(g2),
  );
});

test('the service pool, warmed before any run, is kept for a run that asks one thread per core and made again for one that asks another number', async () => {
  const cores = availableParallelism();
  const kept = lazyReprojectPool();
  const remade = lazyReprojectPool();
  try {
    kept.warm();
    const warm = kept.pool(0);
    assert.equal(warm.threads, cores);
    assert.equal(kept.pool(cores), warm, 'the same pool for the same number');
    assert.equal(kept.pool(cores + 1), warm, 'after a run used it, the pool stays what it is');

    remade.warm();
    const asked = remade.pool(cores + 1);
    assert.equal(asked.threads, cores + 1, 'the first run asked another number of threads before using the warm pool');
    assert.equal(remade.pool(0), asked);
  } finally {
    await kept.close();
    await remade.close();
  }
});
