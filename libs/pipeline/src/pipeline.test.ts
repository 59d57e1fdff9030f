import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigSchema, SUBJECTS, bandSourcesOf } from '@hls/contracts';
import { freePort } from '@hls/testing';
import { PreflightError, preflight } from './preflight.ts';
import { sweepStaleTemps } from './sweep.ts';
import { RunTracker, progressLines } from './progress.ts';
import { formatSummary, summarize } from './summary.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-pipeline-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('RunTracker', () => {
  test('counts stages, reuse and terminal chips by reason; a second different terminal event is a conflict', () => {
    const t = new RunTracker('r1');
    t.expected = 3;
    t.add(SUBJECTS.tileRequested, { runId: 'r1', tileId: '15TUL' }, 10);
    t.add(SUBJECTS.tileRequested, { runId: 'other', tileId: '15TVL' }, 11);
    t.add(SUBJECTS.sceneSelected, { runId: 'r1', tileId: '15TUL', slot: 0 }, 20);
    t.add(SUBJECTS.bandFetched, { runId: 'r1', reused: true, bytes: 100, source: 'local' }, 30);
    t.add(SUBJECTS.bandFetched, { runId: 'r1', reused: false, bytes: 2_000_000, source: 'https' }, 40);
    t.add(SUBJECTS.bandReprojected, { runId: 'r1', reused: true }, 50);
    t.add(SUBJECTS.tileReprojected, { runId: 'r1', tileId: '15TUL', chipIds: ['a', 'b'] }, 60);
    t.add(SUBJECTS.tileReprojected, { runId: 'r1', tileId: '15TUL', chipIds: ['a', 'b'] }, 61);
    t.add(SUBJECTS.chipAccepted, { runId: 'r1', chipId: 'a' }, 70);
    t.add(SUBJECTS.chipRejected, { runId: 'r1', chipId: 'b', reason: 'qa' }, 80);
    t.add(SUBJECTS.chipFailed, { runId: 'r1', chipId: 'c', reason: 'cid-unavailable: bafy' }, 90);
    t.add(SUBJECTS.chipAccepted, { runId: 'r1', chipId: 'c' }, 95);
    assert.equal(t.tilesRequested.size, 1);
    assert.equal(t.bandsExpected, 21);
    assert.deepEqual([t.bandsFetched, t.bandsFetchedReused, t.bytesFetched, t.bandsReprojectedReused], [2, 1, 2_000_000, 1]);
    assert.equal(t.chipsToClip, 2);
    assert.deepEqual(t.stateCounts(), { accepted: 1, rejected: 1, failed: 1 });
    assert.deepEqual(t.reasons(), { 'rejected: qa': 1, 'failed: cid-unavailable': 1 });
    assert.deepEqual(t.conflicts, ['c']);
    assert.deepEqual(t.stages.get('qa'), { first: 70, last: 95 });
    const lines = progressLines(t);
    assert.match(lines[2] ?? '', /2\/21 bands \(1 reused, 2\.0 MB\)/);
    assert.match(lines[5] ?? '', /3\/3 chips terminal: 1 accepted, 1 rejected, 1 failed/);
    const s = summarize(t, { seconds: 60, datasetDir: '/d' });
    assert.equal(s.complete, false);
    assert.equal(s.chipsPerMinute, 3);
    assert.match(formatSummary(s), /rejected: qa: 1/);
    assert.deepEqual(s.bands.bySource, { https: 1, local: 1 });
    assert.match(formatSummary(s), /\n {2}served by: https 1, local 1\n/);
  });
});

describe('preflight', () => {
  test('names every key and URL at fault, before any work', async () => {
    const dead = await freePort();
    const cfg = ConfigSchema.parse({
      chip_payload_filename: join(tmp, 'missing.geojson'),
      grid_kml: join(tmp, 'grid.kml'),
      stac: { type: 'api', url: `http://127.0.0.1:${dead}/stac` },
      ipfs: { backends: [{ type: 'gateway', urls: [`http://127.0.0.1:${dead}`] }] },
      cdl: { reclass_table: join(tmp, 'grid.kml') },
    });
    writeFileSync(join(tmp, 'grid.kml'), '<kml/>');
    await assert.rejects(preflight(cfg, { timeoutMs: 2000 }), (e: unknown) => {
      assert.ok(e instanceof PreflightError);
      const keys = e.problems.map((p) => p.key).sort();
      assert.deepEqual(keys, ['cdl.source', 'chip_payload_filename', 'ipfs.backends[0].urls[0]', 'stac.url']);
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${dead}/stac does not answer`));
      assert.match(e.message, /missing\.geojson does not exist/);
      return true;
    });
  });

  test('passes when every file exists and every source answers', async () => {
    const srv = createServer((_, res) => res.end('{}'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const f = join(tmp, 'grid.kml');
      writeFileSync(f, '<kml/>');
      const cfg = ConfigSchema.parse({
        chip_payload_filename: f,
        grid_kml: f,
        stac: { type: 'api', url },
        ipfs: { backends: [{ type: 'gateway', urls: [url] }] },
        cdl: { source: `${url}/cdl.tif`, reclass_table: f },
      });
      await preflight(cfg, { timeoutMs: 2000 });
    } finally {
      srv.close();
    }
  });
});

describe('preflight of band sources', () => {
  const files = (): { f: string } => {
    const f = join(tmp, 'grid.kml');
    writeFileSync(f, '<kml/>');
    return { f };
  };

  test('granule folders with band_sources [local]: no IPFS backend is asked or needed', async () => {
    const { f } = files();
    const dead = await freePort();
    const cfg = ConfigSchema.parse({
      chip_payload_filename: f,
      grid_kml: f,
      stac: { type: 'directory', path: tmp },
      band_sources: ['local'],
      ipfs: { backends: [{ type: 'gateway', urls: [`http://127.0.0.1:${dead}`] }] },
      cdl: { source: f, reclass_table: f },
    });
    await preflight(cfg, { timeoutMs: 2000 });
  });

  test('https without a token or netrc entry: one line naming the host and what to set; local against an API is named', async () => {
    const { f } = files();
    const cfg = ConfigSchema.parse({
      chip_payload_filename: f,
      grid_kml: f,
      stac: { type: 'catalog', path: f },
      band_sources: ['https'],
      cdl: { source: f, reclass_table: f },
    });
    const noNetrc = join(tmp, 'no-such-netrc');
    await assert.rejects(preflight(cfg, { timeoutMs: 2000, env: { NETRC: noNetrc } }), (e: unknown) => {
      assert.ok(e instanceof PreflightError);
      assert.deepEqual(e.problems, [
        {
          key: 'band_sources',
          message: `https: no Earthdata Login credentials for urs.earthdata.nasa.gov: set EARTHDATA_TOKEN, or add "machine urs.earthdata.nasa.gov login USER password PASS" to ${noNetrc} (NETRC overrides the path)`,
        },
      ]);
      return true;
    });
    // A netrc with an entry for another host only is no better; one for URS, or a token, is enough.
    const netrc = join(tmp, 'netrc');
    writeFileSync(netrc, 'machine example.com login a password b\n');
    await assert.rejects(preflight(cfg, { timeoutMs: 2000, env: { NETRC: netrc } }), PreflightError);
    writeFileSync(netrc, 'machine urs.earthdata.nasa.gov login a password b\n');
    await preflight(cfg, { timeoutMs: 2000, env: { NETRC: netrc } });
    await preflight(cfg, { timeoutMs: 2000, env: { EARTHDATA_TOKEN: 't', NETRC: noNetrc } });

    const api = ConfigSchema.parse({ ...cfg, stac: { type: 'api', url: 'http://127.0.0.1:1/unused' }, band_sources: ['local'] });
    await assert.rejects(preflight(api, { timeoutMs: 2000 }), (e: unknown) => e instanceof PreflightError && e.problems.some((p) => p.key === 'band_sources' && /local needs granule folders/.test(p.message)));
  });

  test('band_sources: an unknown or repeated source is an error naming the key', () => {
    assert.throws(() => ConfigSchema.parse({ band_sources: ['ftp'] }), /band_sources/);
    assert.throws(() => ConfigSchema.parse({ band_sources: ['ipfs', 'ipfs'] }), /lists a source twice/);
    // Unset, the scene source decides: granule folders are used in place, API/catalog scenes come over IPFS.
    assert.deepEqual(bandSourcesOf(ConfigSchema.parse({})), ['ipfs']);
    assert.deepEqual(bandSourcesOf(ConfigSchema.parse({ stac: { type: 'directory', path: '/data/hls' } })), ['local']);
    assert.deepEqual(bandSourcesOf(ConfigSchema.parse({ stac: { type: 'directory', path: '/data/hls' }, band_sources: ['local', 'https'] })), ['local', 'https']);
  });
});

describe('sweepStaleTemps', () => {
  test('removes temp files of dead processes only, keeps live ones and .part downloads', async () => {
    const { spawnSync } = await import('node:child_process');
    const { existsSync, mkdirSync } = await import('node:fs');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const d = join(tmp, 'sweep', 'chips');
    mkdirSync(d, { recursive: true });
    const files = {
      dead: join(d, `chip_1.mask.tif.tmp-${dead}-0a1b2c3d`),
      deadPlain: join(d, `tile_payloads.json.tmp-${dead}`),
      deadCopy: join(d, `chip_1_merged.tif.${dead}.tmp`),
      deadToken: join(d, `selected_tiles.csv.${dead}.k3j5x.tmp`),
      live: join(d, `chip_2.mask.tif.tmp-${process.pid}-0a1b2c3d`),
      part: join(d, 'x.tif.part'),
      real: join(d, 'chip_1.mask.tif'),
    };
    for (const f of Object.values(files)) writeFileSync(f, 'x');
    const removed = await sweepStaleTemps(join(tmp, 'sweep'));
    assert.deepEqual(removed.sort(), [files.dead, files.deadPlain, files.deadCopy, files.deadToken].sort());
    assert.deepEqual([files.live, files.part, files.real].map((f) => existsSync(f)), [true, true, true]);
  });
});
