import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HlsError, systemErrorCode } from './errors.ts';
import { JobThread } from './job-thread.ts';
import type { FixtureJob } from './testing/job-thread-fixture.ts';

const FIXTURE = new URL('./testing/job-thread-fixture.ts', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'job-thread-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('JobThread', () => {
  it('answers jobs in the order given, free again once it holds none', async () => {
    const t = new JobThread<FixtureJob, number | string>(FIXTURE, { name: 'the fixture thread' });
    try {
      assert.equal(t.free, true);
      const answers = [1, 2, 3].map((n) => t.run({ double: n }));
      assert.equal(t.free, false, 'busy while it holds a job');
      assert.deepEqual(await Promise.all(answers), [2, 4, 6]);
      assert.equal(t.done, 3);
      assert.equal(t.free, true);
    } finally {
      await t.close();
    }
  });

  it("carries a failure's class across: an HlsError's code and retryable flag, a system error's code", async () => {
    const t = new JobThread<FixtureJob, number | string>(FIXTURE, { name: 'the fixture thread' });
    try {
      await assert.rejects(t.run({ fail: 'retryable' }), (e: unknown) => e instanceof HlsError && e.code === 'fixture-failure' && e.retryable && /asked to fail/.test(e.message));
      await assert.rejects(t.run({ fail: 'permanent' }), (e: unknown) => e instanceof HlsError && !e.retryable);
      const missing = join(dir, 'missing.txt');
      await assert.rejects(t.run({ read: missing }), (e: Error) => e.message.includes(missing) && systemErrorCode(e) === 'ENOENT');
      assert.equal(t.done, 3, 'failed jobs are answered too');
      assert.equal(await t.run({ double: 21 }), 42, 'the thread goes on after failures');
    } finally {
      await t.close();
    }
  });

  it('closes after its onClose has run, and once closed takes no job', async () => {
    const closeMark = join(dir, 'closed.txt');
    const t = new JobThread<FixtureJob, number | string>(FIXTURE, { name: 'the fixture thread', workerData: { closeMark } });
    assert.equal(await t.run({ double: 1 }), 2);
    await t.close();
    assert.equal(readFileSync(closeMark, 'utf8'), 'closed');
    assert.ok(t.stopped);
    assert.equal(t.free, false);
    await assert.rejects(t.run({ double: 1 }), /the fixture thread stopped/);
  });

  it('an idle thread does not hold its process open', () => {
    // A process that starts a thread, runs a job and never closes it still ends on its own.
    const script = `import { JobThread } from ${JSON.stringify(new URL('./job-thread.ts', import.meta.url).href)};
const t = new JobThread(new URL(${JSON.stringify(FIXTURE.href)}), { name: 'x' });
process.stdout.write(String(await t.run({ double: 5 })));`;
    const file = join(dir, 'idle-thread.mts');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.error, undefined, 'the process ended by itself');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '10');
  });
});
