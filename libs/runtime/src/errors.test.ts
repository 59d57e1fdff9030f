// The one classification: each domain error by its class's flag, Node system errors by their code (real
// ones, from the file system and a refused connection), malformed data dead-lettered, the rest retried.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { BandSourceError } from '@hls/bands';
import { HlsError } from '@hls/common';
import { ConfigError } from '@hls/config';
import { ConfigSchema, EventValidationError, SUBJECTS, parseEvent } from '@hls/contracts';
import { ChipPayloadError, KmlError } from '@hls/geo';
import { BlockMissingError, BlockNotFoundError, BlockTooLargeError, BlockVerificationError, CidUnavailableError, UnsupportedDagError } from '@hls/ipfs';
import { RasterReadError, RasterTooLargeError, openRaster } from '@hls/raster';
import { MetadataError, RepeatedPageError, SourceConfigError, StacSourceError } from '@hls/stac';
import { CID } from 'multiformats/cid';
import { NotImplementedError, PermanentError, TransientError, classifyError, systemErrorCode, withContext } from './errors.ts';

const cid = CID.parse('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy');

test('each domain error states its retryability and a stable code; the classification follows the flag', () => {
  const cases: Array<[HlsError, string, 'retry' | 'dead-letter']> = [
    [new TransientError('x'), 'transient', 'retry'],
    [new PermanentError('x'), 'permanent', 'dead-letter'],
    [new NotImplementedError('x'), 'not-implemented', 'dead-letter'],
    [new ConfigError('bad key', 'nats.url', 'a.yaml'), 'config', 'dead-letter'],
    [new SourceConfigError('no path'), 'source-config', 'dead-letter'],
    [new MetadataError('a.cmr.xml', 'no CloudCover'), 'metadata', 'dead-letter'],
    [new StacSourceError('http://x', 'HTTP 503', { status: 503, retryable: true }), 'stac-source', 'retry'],
    [new StacSourceError('http://x', 'HTTP 400', { status: 400 }), 'stac-source', 'dead-letter'],
    [new RepeatedPageError('http://x', 2, 1), 'stac-repeated-page', 'dead-letter'],
    [new BlockNotFoundError(cid), 'block-not-found', 'retry'],
    [new BlockMissingError('404'), 'block-missing', 'retry'],
    [new BlockTooLargeError('too many bytes'), 'block-too-large', 'dead-letter'],
    [new BlockVerificationError(cid.toString(), 'hash mismatch'), 'block-verification', 'dead-letter'],
    [new CidUnavailableError(cid.toString(), ['gateway: 404']), 'cid-unavailable', 'dead-letter'],
    [new CidUnavailableError(cid.toString(), ['ECONNREFUSED'], { unreachable: true }), 'cid-unavailable', 'retry'],
    [new UnsupportedDagError(cid.toString(), 'a directory'), 'unsupported-dag', 'dead-letter'],
    [new KmlError('grid.kml: no Placemark'), 'grid-file', 'dead-letter'],
    [new ChipPayloadError('chips.geojson: not valid JSON'), 'chip-payload', 'dead-letter'],
    [new RasterReadError('a.tif', 'truncated file'), 'raster-read', 'dead-letter'],
    [new RasterTooLargeError('a.tif', 'over the limit'), 'raster-too-large', 'dead-letter'],
    [new BandSourceError('https', 'HTTP 503 (3 attempts)', { retryable: true }), 'band-source', 'retry'],
    [new BandSourceError('local', 'no such band'), 'band-source', 'dead-letter'],
    [new EventValidationError('hls.tile.reprojected', 'chipIds: required'), 'event-validation', 'dead-letter'],
  ];
  for (const [e, code, disposition] of cases) {
    assert.ok(e instanceof HlsError && e instanceof Error, e.name);
    assert.equal(e.code, code, e.name);
    assert.equal(e.retryable, disposition === 'retry', e.name);
    assert.equal(classifyError(e), disposition, `${e.name}: ${e.message}`);
  }
  assert.equal(new RasterTooLargeError('a.tif', 'x').name, 'RasterTooLargeError');
  assert.ok(new RasterTooLargeError('a.tif', 'x') instanceof RasterReadError);
});

test('Node system errors are classified by their code, also through causes', async () => {
  const missing = await readFile(join(tmpdir(), 'hls-no-such-file-ever')).catch((e: unknown) => e);
  assert.equal(systemErrorCode(missing), 'ENOENT');
  assert.equal(classifyError(missing), 'dead-letter');
  assert.equal(classifyError(await readFile(tmpdir()).catch((e: unknown) => e)), 'dead-letter', 'EISDIR');

  // A port that was just free: nothing listens there, the connection is refused.
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  const refused = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
  assert.equal(systemErrorCode(refused), 'ECONNREFUSED', 'fetch wraps the system error in its cause');
  assert.equal(classifyError(refused), 'retry');

  for (const code of ['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN', 'EPIPE']) {
    assert.equal(classifyError(Object.assign(new Error(`connect ${code}`), { code })), 'retry', code);
  }
  for (const code of ['ENOENT', 'EACCES', 'EISDIR', 'ENOTDIR']) {
    assert.equal(classifyError(Object.assign(new Error(`open ${code}`), { code })), 'dead-letter', code);
  }

  // A raster read over the network carries its cause's retryability; a missing file does not.
  const remote = await openRaster(`http://127.0.0.1:${port}/cdl.tif`).catch((e: unknown) => e);
  assert.ok(remote instanceof RasterReadError);
  assert.equal(classifyError(remote), 'retry');
  const local = await openRaster(join(tmpdir(), 'hls-no-such.tif')).catch((e: unknown) => e);
  assert.ok(local instanceof RasterReadError);
  assert.equal(systemErrorCode(local), 'ENOENT', 'the code of the cause is still known');
  assert.equal(classifyError(local), 'dead-letter');
});

test('malformed data is dead-lettered, anything unknown retried', () => {
  const syntax = (() => {
    try {
      JSON.parse('{"runId":');
    } catch (e) {
      return e;
    }
  })();
  assert.equal(classifyError(syntax), 'dead-letter');
  const zod = ConfigSchema.safeParse({ nats: { url: 5 } });
  assert.equal(zod.success, false);
  assert.equal(classifyError(zod.error), 'dead-letter');
  assert.throws(() => parseEvent(SUBJECTS.tileReprojected, {}), (e: unknown) => classifyError(e) === 'dead-letter');
  assert.equal(classifyError(new Error('something we did not foresee')), 'retry');
  assert.equal(classifyError('a thrown string'), 'retry');
  // A message text never decides: a plain Error saying "ENOENT" is still unknown.
  assert.equal(classifyError(new Error('ENOENT: no such file or directory')), 'retry');
});

test('withContext puts the context in front and keeps the cause and its classification', () => {
  const perm = withContext('run r1: cannot index chips', new KmlError('grid.kml: no Placemark'));
  assert.ok(perm instanceof PermanentError);
  assert.equal(perm.message, 'run r1: cannot index chips: grid.kml: no Placemark');
  assert.ok(perm.cause instanceof KmlError);
  const trans = withContext('tile 15TVG', new StacSourceError('http://x', 'HTTP 502', { retryable: true }));
  assert.ok(trans instanceof TransientError);
  assert.equal(classifyError(trans), 'retry');
});
