import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HlsError, PermanentError, TransientError, isRetryableSystemError, systemErrorCode } from './errors.ts';

class TileGridError extends HlsError {
  constructor(message: string, cause?: unknown) {
    super('tile-grid', message, { retryable: false, cause });
  }
}

test('an HlsError carries its class name, code, flag and cause', () => {
  const cause = new Error('underlying');
  const e = new TileGridError('grid.kml: no Placemark', cause);
  assert.equal(e.name, 'TileGridError');
  assert.equal(e.code, 'tile-grid');
  assert.equal(e.retryable, false);
  assert.equal(e.cause, cause);
  assert.equal(e.message, 'grid.kml: no Placemark');
  assert.ok(e.stack?.includes('TileGridError'));
  assert.equal(new TransientError('x').retryable, true);
  assert.equal(new PermanentError('x').retryable, false);
  assert.equal('cause' in new PermanentError('x'), false, 'no cause property when none was given');
});

test('systemErrorCode finds the errno name through causes, and nothing else', () => {
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
  const wrapped = new TypeError('fetch failed', { cause: reset });
  assert.equal(systemErrorCode(wrapped), 'ECONNRESET');
  assert.equal(isRetryableSystemError(wrapped), true);
  assert.equal(systemErrorCode(new TransientError('x', { cause: wrapped })), 'ECONNRESET', 'an HlsError around it');
  assert.equal(systemErrorCode(Object.assign(new Error('bad arg'), { code: 'ERR_INVALID_ARG_TYPE' })), undefined, "Node's ERR_* codes are not system errors");
  assert.equal(systemErrorCode(new TileGridError('x')), undefined, 'an HlsError code is not a system code');
  assert.equal(systemErrorCode('ENOENT'), undefined);
  assert.equal(isRetryableSystemError(Object.assign(new Error('x'), { code: 'ENOENT' })), false);
});
