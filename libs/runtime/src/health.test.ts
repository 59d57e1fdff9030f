// /healthz, /readyz and /metrics of a running service, against a real nats-server.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Bus } from '@hls/bus';
import { ConfigSchema, SUBJECTS, messageId } from '@hls/contracts';
import { parsePromText, promSum, startNats, waitFor, type NatsHandle } from '@hls/testing';
import { createLogger } from '@hls/telemetry';
import { startServices } from './service.ts';

const log = createLogger({ name: 'test', level: 'silent', pretty: false });
let nats: NatsHandle;
before(async () => {
  nats = await startNats();
});
after(async () => {
  await nats.stop();
});

describe('service health endpoints', () => {
  it('serve liveness, readiness and Prometheus metrics that count handled, retried and failed messages, on loopback', async () => {
    const config = ConfigSchema.parse({ nats: { url: nats.url } });
    const svc = await startServices(
      [
        {
          name: 'qa-filter',
          handlers: {
            [SUBJECTS.chipClipped]: async (ev) => {
              if (ev.chipId === 'chip_bad') throw new Error('cannot copy chip_bad');
            },
          },
        },
      ],
      { config, log, healthPort: 0, consume: { 'qa-filter': { maxDeliver: 2, backoffMs: [10] } } },
    );
    assert.equal(svc.health?.host, '127.0.0.1', 'loopback unless health_host says otherwise');
    const base = `http://127.0.0.1:${svc.health?.port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    assert.equal((await fetch(`${base}/nope`)).status, 404);

    const bus = await Bus.connect({ nats: config.nats, name: 'test', log });
    const scenes = ['2022091', '2022152', '2022244'].map((d, i) => ({ granuleId: `HLS.S30.T15TVG.${d}T170851.v2.0`, date: ['2022-04-01', '2022-06-01', '2022-09-01'][i]! }));
    for (const chipId of ['chip_ok', 'chip_bad'])
      await bus.publish(
        SUBJECTS.chipClipped,
        {
          runId: 'h1',
          tileId: '15TVG',
          chipId,
          scenes,
          qa: { validCounts: [1, 1, 1], badPercents: [0, 0, 0], nodataCount: 0 },
          files: { merged: 'a', mask: 'b', fmask: 'c' },
        } as never,
        messageId(SUBJECTS.chipClipped, 'h1', chipId),
      );
    const metrics = await waitFor(async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return text.includes('outcome="dlq"') && text.includes('outcome="ok"') ? text : '';
    }, { what: 'both outcomes in /metrics' });
    assert.match(metrics, /hls_messages_handled_total\{[^}]*service="qa-filter"[^}]*subject="hls.chip.clipped"[^}]*outcome="ok"[^}]*\} 1/);
    assert.match(metrics, /hls_messages_failed_total\{service="qa-filter",subject="hls.chip.clipped"\} 1/);
    assert.match(metrics, /hls_messages_in_flight\{service="qa-filter",subject="hls.chip.clipped"\} 0/);
    assert.match(metrics, /hls_handler_duration_seconds_count\{service="qa-filter",subject="hls.chip.clipped"\} 3/);
    assert.match(metrics, /# TYPE hls_handler_duration_seconds histogram/);
    // Valid exposition text: the retry was a redelivery; the stage histogram times the successful handling;
    // process and Node metrics are there.
    const { samples } = parsePromText(metrics);
    assert.equal(promSum(samples, 'hls_consumer_redeliveries_total', { service: 'qa-filter', subject: SUBJECTS.chipClipped }), 1);
    assert.equal(promSum(samples, 'hls_messages_handled_total', { outcome: 'retry' }), 1);
    assert.equal(promSum(samples, 'hls_stage_duration_seconds_count', { stage: 'qa', service: 'qa-filter' }), 1);
    assert.ok(promSum(samples, 'process_resident_memory_bytes') > 0);

    await bus.close();
    const port = svc.health?.port;
    await svc.stop();
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'the health server stops with the services');
  });
});
