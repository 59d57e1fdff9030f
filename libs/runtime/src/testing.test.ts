// realServiceContext against a real nats-server: what a handler publishes is read back from the stream.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KV_BUCKETS, SUBJECTS, kvKey, messageId } from '@hls/contracts';
import { startNats, tempDir, type NatsHandle } from '@hls/testing';
import { realServiceContext } from './testing.ts';

let nats: NatsHandle;
const tmp = tempDir('hls-real-ctx-');
before(async () => {
  nats = await startNats();
});
after(async () => {
  await nats.stop();
  tmp.cleanup();
});

describe('realServiceContext', () => {
  it('stores the run spec in KV, resolves datasetDir from it and reads publishes back with their Nats-Msg-Id', async () => {
    const real = await realServiceContext({ nats, service: 'qa-filter', run: { runId: 'r1', config: { data_dir: tmp.dir, train_dataset_name: 'ds' } } });
    try {
      const { ctx } = real;
      assert.equal((await ctx.run('r1')).config.data_dir, tmp.dir);
      assert.equal(await ctx.datasetDir('r1'), join(tmp.dir, 'training_datasets', 'ds'));
      assert.equal((await ctx.ledger.runSpec('r1'))?.runId, 'r1');
      await assert.rejects(ctx.run('nope'), /run nope: the run ledger has no request of this run/);
      const id = messageId(SUBJECTS.chipAccepted, 'r1', 'chip_001_001');
      await ctx.publish(SUBJECTS.chipAccepted, { runId: 'r1', chipId: 'chip_001_001' } as never, id);
      await ctx.publish(SUBJECTS.chipAccepted, { runId: 'r1', chipId: 'chip_001_001' } as never, id);
      const got = await real.published();
      assert.equal(got.length, 1, 'the second publish of the same id is de-duplicated by JetStream');
      assert.deepEqual([got[0]!.subject, got[0]!.msgId], [SUBJECTS.chipAccepted, id]);
      assert.deepEqual(got[0]!.data, { schemaVersion: 1, runId: 'r1', chipId: 'chip_001_001' });
      assert.deepEqual(real.acks.map((a) => [a.msgId, a.duplicate]), [[id, false], [id, true]]);
      await assert.rejects(ctx.publish(SUBJECTS.chipAccepted, { runId: 'r1' } as never, 'x'), /chipId/);
    } finally {
      await real.close();
    }
  });

  it('a later context sees only its own messages; a run id reused with another config is refused', async () => {
    const real = await realServiceContext({ nats: nats.url, service: 'qa-filter', run: { runId: 'r2', config: { data_dir: tmp.dir } } });
    try {
      assert.deepEqual(await real.published(), []);
      assert.ok(await (await real.bus.kv(KV_BUCKETS.runs)).get(kvKey('r1', 'spec')));
    } finally {
      await real.close();
    }
    await assert.rejects(
      realServiceContext({ nats, service: 'qa-filter', run: { runId: 'r2', config: { data_dir: join(tmp.dir, 'other') } } }),
      /run r2 is already stored .* with another config/,
    );
  });
});
