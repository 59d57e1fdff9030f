// Traces and metrics of an in-process demo, as a user's OTLP collector and Prometheus see them: each tile
// is one trace (plus one short trace for the run); from a chip's terminal span, parents and links reach the
// band fetches of all 3 of its scenes, every span on the way naming the chip; HTTP client spans sit under
// the search and the fetches; /metrics is valid exposition text with the domain counters counted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SERVICES } from '@hls/contracts';
import { formatSummary, runDemo } from '@hls/pipeline';
import { assertRunTraces, parsePromText, promSum, startOtlpReceiver } from '@hls/testing';
import { createServices } from '../registry.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-traces-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('traces and metrics of the in-process demo', () => {
  test('one trace per tile plus the run, chips reach their 3 scenes, HTTP spans, /metrics', { timeout: 600_000 }, async () => {
    const otlp = await startOtlpReceiver();
    after(() => otlp.close());
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = otlp.endpoint;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
    let metricsText = '';
    const r = await runDemo({
      dataDir: tmp,
      small: true,
      services: createServices(SERVICES),
      timeoutMs: 400_000,
      beforeHealthClose: async (h) => {
        metricsText = await (await fetch(`http://127.0.0.1:${h.port}/metrics`)).text();
      },
    });
    assert.equal(r.complete, true, formatSummary(r));
    const plan = r.world.plan.tiles;
    assertRunTraces(otlp.spans, {
      runId: r.runId,
      tiles: plan.map((t) => t.tileId),
      clippedChips: plan.filter((t) => t.role !== 'no-scenes').flatMap((t) => t.chips.map((c) => c.id)),
    });

    // /metrics: valid exposition text; process, Node and domain series counted.
    const { samples, types } = parsePromText(metricsText);
    assert.equal(types.get('hls_stage_duration_seconds'), 'histogram');
    assert.ok(promSum(samples, 'process_cpu_user_seconds_total') > 0);
    assert.ok(samples.some((s) => s.name.startsWith('nodejs_')));
    assert.ok(promSum(samples, 'hls_bands_fetched_total') >= 21);
    assert.ok(promSum(samples, 'hls_band_bytes_total') > 0);
    assert.ok(promSum(samples, 'hls_warp_seconds_count') >= 21);
    assert.equal(promSum(samples, 'hls_chips_terminal_total'), r.expected);
    for (const stage of ['search', 'select', 'fetch', 'reproject', 'clip', 'qa']) assert.ok(promSum(samples, 'hls_stage_duration_seconds_count', { stage }) > 0, `stage ${stage} timed`);
  });
});
