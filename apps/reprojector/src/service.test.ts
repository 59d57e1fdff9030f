// Issue 15, items 1 and 2 in a run: the reprojector service, on a real nats-server, gets a band that is a
// sparse 100,000 x 100,000 GeoTIFF. It is handled exactly once: dead-lettered with the one-line reason at
// the first delivery, and the tile and its chips end failed with that reason (no crash, no redelivery).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Bus, consumerName } from '@hls/bus';
import { ConfigSchema, DlqMessageSchema, STREAMS, SUBJECTS, datasetDir, dlqSubject, makeEvent, messageId, tileBandPath, type GranuleId } from '@hls/contracts';
import { RunLedger } from '@hls/ledger';
import { startServices, type RunningServices } from '@hls/runtime';
import { unreadRunInputs } from '@hls/runtime/testing';
import { createLogger } from '@hls/telemetry';
import { startNats, tempDir, waitFor, type NatsHandle } from '@hls/testing';
import { createService, reprojectorConcurrency } from './index.ts';
import { sparseHugeGeoTiff } from '@hls/raster/testing';

const log = createLogger({ name: 'test', level: 'silent', pretty: false });
const tmp = tempDir('hls-reprojector-svc-');
let nats: NatsHandle;
let svc: RunningServices | undefined;
let bus: Bus | undefined;
const reprojector = createService();

before(async () => {
  nats = await startNats();
});
after(async () => {
  await svc?.stop();
  await bus?.close();
  await reprojector.stop();
  await nats.stop();
  tmp.cleanup();
});

test('a band over the size limit fails its tile and chips at the first delivery, with the reason', async () => {
  const runId = 'run-huge';
  const tileId = '15TVG';
  const granule = 'HLS.S30.T15TVG.2022152T170851.v2.0' as GranuleId;
  const chipIds = ['chip_001_002', 'chip_003_004'];
  const config = ConfigSchema.parse({ nats: { url: nats.url }, data_dir: tmp.dir, train_dataset_name: 'ds', reproject: { workers: 1 } });
  const band = join(datasetDir(tmp.dir, 'ds'), tileBandPath(granule, 'B04'));
  mkdirSync(join(band, '..'), { recursive: true });
  sparseHugeGeoTiff(band);

  svc = await startServices([reprojector.def], { config, log, healthPort: false, consume: { reprojector: { ackWaitMs: 2000, maxDeliver: 5, backoffMs: [50] } } });
  bus = await Bus.connect({ nats: config.nats, name: 'test-publisher', log });
  const ledger = await RunLedger.open(bus);
  await ledger.recordRunRequested(makeEvent(SUBJECTS.runRequested, { runId, requestedAt: new Date().toISOString(), config, inputs: unreadRunInputs(runId) }));
  await ledger.observe(SUBJECTS.sceneSelected, { runId, tileId, chipIds, granuleIds: [granule] });
  const consumer = consumerName('reprojector', SUBJECTS.bandFetched);
  const delivered = async (): Promise<number> => (await bus!.jsm.consumers.info(STREAMS.events.name, consumer)).delivered.consumer_seq;
  const before = await delivered();
  await bus.publish(SUBJECTS.bandFetched, { runId, tileId, granuleId: granule, band: 'B04', path: tileBandPath(granule, 'B04'), cid: 'bafy', bytes: 1, reused: false } as never, messageId(SUBJECTS.bandFetched, runId, granule, 'B04'));

  const failed = await waitFor(async () => {
    const f = (await bus!.replay(SUBJECTS.chipFailed)).map((m) => m.data as { chipId: string; reason: string; error: string });
    return f.length === chipIds.length ? f : undefined;
  }, { what: 'both chips failed' });
  const reason = /the input of 100000 x 100000 pixels x 1 band\(s\) is over the limit of \d+ pixels x bands/;
  for (const f of failed) {
    assert.equal(f.reason, 'dlq:reprojector');
    assert.match(f.error, reason);
  }
  assert.deepEqual(failed.map((f) => f.chipId).sort(), chipIds);
  const tileFailed = (await bus.replay(SUBJECTS.tileFailed)).map((m) => m.data as { tileId: string; detail: string });
  assert.equal(tileFailed.length, 1);
  assert.match(tileFailed[0]!.detail, reason);
  const tile = await ledger.tile(runId, tileId);
  assert.equal(tile?.state, 'failed', 'the ledger shows the tile failed');
  assert.equal(tile?.reason, 'dlq:reprojector');
  const dlq = (await bus.replay(dlqSubject('reprojector'))).map((m) => DlqMessageSchema.parse(m.data));
  assert.equal(dlq.length, 1);
  assert.equal(dlq[0]!.deliveries, 1, 'permanent at the first delivery');
  assert.doesNotMatch(dlq[0]!.error, /\n/);
  // Past two ack waits (2 s each): a message that was not terminated would have been delivered again by now.
  await new Promise((r) => setTimeout(r, 5000));
  assert.equal((await delivered()) - before, 1, 'handled exactly once');
  assert.equal(svc.bus.nc.isClosed(), false, 'the service is still up');
});

test('without services.reprojector in the config the reprojector takes two bands per warp thread', () => {
  assert.equal(reprojectorConcurrency(ConfigSchema.parse({ reproject: { workers: 3 } })), 6);
  assert.equal(reprojectorConcurrency(ConfigSchema.parse({})), 2 * availableParallelism());
  assert.equal(reprojector.def.defaultConcurrency?.(ConfigSchema.parse({ reproject: { workers: 1 } })), 2);
});
