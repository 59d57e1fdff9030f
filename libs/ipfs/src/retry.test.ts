// Retry, backoff, fallback and timeout rules of Fetcher.getBlock, with in-process sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CID } from 'multiformats/cid';
import { cidOfBlock } from './cid.ts';
import { BlockVerificationError, CidUnavailableError } from './errors.ts';
import { Fetcher } from './fetcher.ts';
import type { BlockSource } from './sources/types.ts';

const data = new TextEncoder().encode('a band file, small enough to be one raw block');
const cid = cidOfBlock(data);

function source(name: string, answer: (n: number, signal: AbortSignal) => Promise<Uint8Array>): BlockSource & { calls: number } {
  const s = {
    name,
    calls: 0,
    get(_c: CID, signal: AbortSignal) {
      s.calls++;
      return answer(s.calls, signal);
    },
  };
  return s;
}

test('a source that fails twice is retried with backoff until it delivers', async () => {
  const flaky = source('flaky', async (n) => {
    if (n <= 2) throw new Error('HTTP 502');
    return data;
  });
  const f = new Fetcher({ sources: [flaky], timeoutMs: 1000, retries: 3, concurrency: 1, backoffBaseMs: 30, backoffMaxMs: 100 });
  const t0 = Date.now();
  assert.deepEqual(await f.getBlock(cid), data);
  assert.equal(flaky.calls, 3);
  assert.ok(Date.now() - t0 >= 30 / 2 + 60 / 2, 'backoff waited between rounds');
});

test('wrong bytes from one source: that source is not asked again, the next one delivers', async () => {
  const liar = source('liar', async () => new TextEncoder().encode('other bytes'));
  const down = source('down', async () => {
    throw new Error('ECONNREFUSED');
  });
  let n = 0;
  const late = source('late', async () => {
    if (++n < 2) throw new Error('HTTP 504');
    return data;
  });
  const f = new Fetcher({ sources: [liar, down, late], timeoutMs: 1000, retries: 2, concurrency: 2, backoffBaseMs: 5 });
  assert.deepEqual(await f.getBlock(cid), data);
  assert.equal(liar.calls, 1);
  assert.equal(down.calls, 2);
});

test('only wrong bytes anywhere: a verification error, at once', async () => {
  const liar = source('liar', async () => new TextEncoder().encode('other bytes'));
  const f = new Fetcher({ sources: [liar], timeoutMs: 1000, retries: 5, concurrency: 1, backoffBaseMs: 1000 });
  await assert.rejects(f.getBlock(cid, { context: { granule: 'G', band: 'B02' } }), (e: unknown) => e instanceof BlockVerificationError && /band B02, granule G/.test(e.message));
  assert.equal(liar.calls, 1, 'no retry rounds for bytes that can never verify');
});

test('a source that never answers times out per request; the error lists every attempt', async () => {
  const hang = source('hang', (_n, signal) => new Promise((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
  const f = new Fetcher({ sources: [hang], timeoutMs: 100, retries: 2, concurrency: 1, backoffBaseMs: 10, backoffMaxMs: 10 });
  await assert.rejects(f.getBlock(cid), (e: unknown) => {
    assert.ok(e instanceof CidUnavailableError);
    assert.equal(e.reasons.length, 3);
    assert.ok(e.reasons.every((r) => r === 'hang: timed out after 100 ms'));
    return true;
  });
  assert.equal(hang.calls, 3);
});

