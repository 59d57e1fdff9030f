import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Limiter, backoffDelay, forEachInWindow, sleep } from './limiter.ts';

test('the limiter never runs more than its limit and serves waiters in order', async () => {
  const l = new Limiter(3);
  const order: number[] = [];
  await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      l.run(async () => {
        order.push(i);
        assert.ok(l.inFlight <= 3);
        await new Promise((r) => setTimeout(r, 5));
      }),
    ),
  );
  assert.equal(l.peak, 3);
  assert.equal(l.inFlight, 0);
  assert.deepEqual(order, [...Array(12).keys()]);
  assert.throws(() => new Limiter(0), /positive integer/);
  assert.throws(() => new Limiter(1.5), /positive integer/);
});

test('a waiter whose signal aborts leaves the queue; a failing task frees its slot', async () => {
  const l = new Limiter(1);
  let release!: () => void;
  const first = l.run(() => new Promise<void>((r) => (release = r)));
  const ac = new AbortController();
  const waiting = l.run(async () => 'never', ac.signal);
  ac.abort(new Error('stop waiting'));
  await assert.rejects(waiting, /stop waiting/);
  release();
  await first;
  await assert.rejects(l.run(() => Promise.reject(new Error('boom'))), /boom/);
  assert.equal(await l.run(async () => 'next'), 'next');
  assert.equal(l.inFlight, 0);
  await assert.rejects(l.run(async () => 1, AbortSignal.abort(new Error('already'))), /already/);
});

test('backoffDelay lies in [ceiling/2, ceiling] with ceiling = min(max, base * 2^attempt)', () => {
  assert.equal(backoffDelay(0, 100, 1000, () => 0), 50);
  assert.equal(backoffDelay(2, 100, 1000, () => 1), 400);
  assert.equal(backoffDelay(10, 100, 1000, () => 1), 1000);
  for (let i = 0; i < 50; i++) {
    const d = backoffDelay(3, 100, 10_000);
    assert.ok(d >= 400 && d <= 800, String(d));
  }
});

test('sleep waits, and rejects with an Error at once when its signal aborts', async () => {
  const t0 = Date.now();
  await sleep(30);
  assert.ok(Date.now() - t0 >= 25);
  const ac = new AbortController();
  const s = sleep(10_000, ac.signal);
  ac.abort('not an error');
  await assert.rejects(s, (e: unknown) => e instanceof Error && e.message === 'aborted');
  await assert.rejects(sleep(10, AbortSignal.abort(new Error('gone'))), /gone/);
});

test('forEachInWindow starts items in order, never more than the window at once, and waits for all', async () => {
  const started: number[] = [];
  let running = 0;
  let peak = 0;
  const done: number[] = [];
  await forEachInWindow(
    Array.from({ length: 50 }, (_, i) => i),
    async (i) => {
      started.push(i);
      peak = Math.max(peak, ++running);
      // Later items finish first within a window: the order of starts must not depend on it.
      await sleep((50 - i) % 7);
      running--;
      done.push(i);
    },
    8,
  );
  assert.deepEqual(started, Array.from({ length: 50 }, (_, i) => i));
  assert.equal(peak, 8);
  assert.equal(done.length, 50);
  assert.equal(running, 0);
});

test('forEachInWindow stops starting after a failure, waits for the started ones, and rejects with the first failure', async () => {
  const started: number[] = [];
  let finished = 0;
  await assert.rejects(
    forEachInWindow(
      Array.from({ length: 100 }, (_, i) => i),
      async (i) => {
        started.push(i);
        await sleep(i === 3 ? 1 : 5);
        finished++;
        if (i === 3 || i === 5) throw new Error(`item ${i} failed`);
      },
      4,
    ),
    /item 3 failed/,
  );
  assert.ok(started.length < 100, `started ${started.length}`);
  assert.equal(finished, started.length, 'every started item ran to its end before the rejection');
  await assert.rejects(forEachInWindow([1], async () => undefined, 0), /window must be a positive integer/);
});
