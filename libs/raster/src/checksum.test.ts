// Issue 15, item 9: a reprojected band corrupted in place (same size, flipped bytes) is not a valid output.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checksumPath, hasValidChecksum, isValidReprojection, reprojectFile, sha256File, utmEpsg, writeGeoTiff } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'raster-checksum-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('reprojectFile writes a sha256sum sidecar; a copy corrupted in place, or without its sidecar, is not a valid reprojection', async () => {
  const n = 150;
  const src = join(dir, 'band.tif');
  await writeGeoTiff(src, { width: n, height: n, bands: [new Int16Array(n * n).map((_, i) => (i * 31) % 5000)], geoTransform: [600000, 30, 0, 4800000, 0, -30], epsg: utmEpsg(15), nodata: -9999 });
  const out = join(dir, 'band_5070.tif');
  await reprojectFile(src, out);
  // The sidecar is sha256sum's format: the system tool agrees with it.
  assert.equal(execFileSync('sha256sum', ['-c', checksumPath(out)], { cwd: dir, encoding: 'utf8' }).trim(), 'band_5070.tif: OK');
  assert.equal(await hasValidChecksum(out), true);
  assert.equal(await isValidReprojection(out, src), true);

  const good = readFileSync(out);
  const bad = Buffer.from(good);
  for (let i = bad.length >> 1; i < (bad.length >> 1) + 32; i++) bad[i] = bad[i]! ^ 0xff;
  writeFileSync(out, bad);
  assert.equal(statSync(out).size, good.length, 'same size');
  assert.equal(await isValidReprojection(out, src), false, 'flipped bytes: not valid');

  writeFileSync(out, good);
  assert.equal(await isValidReprojection(out, src), true);
  unlinkSync(checksumPath(out));
  assert.equal(await isValidReprojection(out, src), false, 'no sidecar (killed before it was written): not valid');
});

test('writeGeoTiff gives the size and SHA-256 of the bytes it wrote; sha256File reads files of any size whole', async () => {
  const sum = (p: string) => execFileSync('sha256sum', [p], { encoding: 'utf8' }).split(' ')[0];
  const n = 1100;
  const band = new Int16Array(n * n).map((_, i) => (i * 7919) % 12000);
  // A tiled COG with overviews (many parts: header, blocks, leaders) and a striped file.
  for (const [name, layout] of [['cog.tif', { tiled: true, blockSize: 256, overviews: true, cog: true }], ['striped.tif', { tiled: false }]] as const) {
    const path = join(dir, name);
    const w = await writeGeoTiff(path, { width: n, height: n, bands: [band, band], geoTransform: [600000, 30, 0, 4800000, 0, -30], epsg: utmEpsg(15), nodata: -9999, ...layout });
    assert.equal(w.bytes, statSync(path).size, name);
    assert.equal(w.sha256, sum(path), name);
    assert.equal(await sha256File(path), w.sha256, name);
  }
  // More than one 1 MiB piece, and an empty file.
  const big = join(dir, 'big.bin');
  writeFileSync(big, Buffer.alloc(2_500_000, 7));
  assert.equal(await sha256File(big), sum(big));
  const empty = join(dir, 'empty.bin');
  writeFileSync(empty, '');
  assert.equal(await sha256File(empty), sum(empty));
  await assert.rejects(sha256File(join(dir, 'missing.bin')), /ENOENT/);
});
