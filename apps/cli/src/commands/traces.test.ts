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
import { parsePromText, promSum, startOtlpReceiver, type ReceivedSpan } from '@hls/testing';
import { SERVICE_REGISTRY } from '../registry.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-traces-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const namesChip = (s: ReceivedSpan, chipId: string): boolean =>
  s.attributes['hls.chip_id'] === chipId || (Array.isArray(s.attributes['hls.chip_ids']) && (s.attributes['hls.chip_ids'] as unknown[]).includes(chipId));

/** Every span reached from `start` by parents and links (not the tile root's link to the run). */
function ancestry(start: ReceivedSpan, byId: Map<string, ReceivedSpan>): ReceivedSpan[] {
  const seen = new Map<string, ReceivedSpan>();
  const todo = [start];
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (seen.has(s.spanId)) continue;
    seen.set(s.spanId, s);
    const next = [s.parentSpanId, ...s.links.filter((l) => l.attributes['hls.link'] !== 'run').map((l) => l.spanId)];
    for (const id of next) {
      const p = id ? byId.get(id) : undefined;
      if (p) todo.push(p);
    }
  }
  return [...seen.values()];
}

const isHttp = (s: ReceivedSpan): boolean => typeof s.attributes['http.request.method'] === 'string';
const underSpanNamed = (s: ReceivedSpan, byId: Map<string, ReceivedSpan>, name: RegExp): boolean => {
  for (let p = byId.get(s.parentSpanId); p; p = byId.get(p.parentSpanId)) if (name.test(p.name)) return true;
  return false;
};

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
      services: SERVICES.map((n) => SERVICE_REGISTRY[n]),
      timeoutMs: 400_000,
      beforeHealthClose: async (h) => {
        metricsText = await (await fetch(`http://127.0.0.1:${h.port}/metrics`)).text();
      },
    });
    assert.equal(r.complete, true, formatSummary(r));
    const spans = otlp.spans;
    const byId = new Map(spans.map((s) => [s.spanId, s]));

    // Traces: one per tile and the run's.
    const tiles = r.world.plan.tiles.map((t) => t.tileId);
    const roots = spans.filter((s) => s.parentSpanId === '');
    const tileRoots = roots.filter((s) => s.name.startsWith('tile '));
    assert.deepEqual(tileRoots.map((s) => s.name).sort(), tiles.map((t) => `tile ${t}`).sort());
    const traces = new Set(spans.map((s) => s.traceId));
    assert.equal(traces.size, tiles.length + 1, `traces: ${[...traces].length}, roots: ${roots.map((s) => s.name).join(', ')}`);
    for (const root of tileRoots) {
      assert.equal(root.links.length, 1, `${root.name} links the run`);
      assert.equal(root.attributes['hls.tile_id'], root.name.slice(5));
      // Every span of the tile's trace is about this tile and its run.
      for (const s of spans.filter((x) => x.traceId === root.traceId && !isHttp(x))) {
        assert.equal(s.attributes['hls.run_id'], r.runId, `${s.name} has hls.run_id`);
        if (!/dataset|run\.completed/.test(s.name)) assert.equal(s.attributes['hls.tile_id'], root.attributes['hls.tile_id'], `${s.name} has hls.tile_id`);
      }
    }

    // A chip's terminal span leads to the fetches of its 3 scenes, every span on the way naming it.
    const clipped = r.world.plan.tiles.filter((t) => t.role !== 'no-scenes').flatMap((t) => t.chips.map((c) => c.id));
    assert.ok(clipped.length > 0);
    for (const chipId of clipped) {
      const terminal = spans.find((s) => /^publish hls\.chip\.(accepted|rejected|failed)$/.test(s.name) && s.attributes['hls.chip_id'] === chipId);
      assert.ok(terminal, `terminal span of ${chipId}`);
      const path = ancestry(terminal, byId);
      const fetches = path.filter((s) => s.name === 'ipfs-fetcher process hls.scene.selected');
      assert.equal(new Set(fetches.map((s) => s.attributes['hls.granule_id'])).size, 3, `${chipId} reaches the fetches of 3 scenes`);
      for (const s of path) assert.ok(namesChip(s, chipId), `${s.name} on ${chipId}'s path names it`);
    }
    const join = spans.filter((s) => s.name.startsWith('join tile '));
    assert.ok(join.length > 0);
    for (const j of join) assert.equal(j.links.length, 21, `${j.name} links its 21 bands`);

    // HTTP client spans inside the search and the fetches, URLs without credentials.
    const http = spans.filter(isHttp);
    assert.ok(http.some((s) => underSpanNamed(s, byId, /^stac-scout process/)), 'HTTP spans under the STAC search');
    assert.ok(http.some((s) => underSpanNamed(s, byId, /^ipfs-fetcher process/)), 'HTTP spans under the band fetches');
    for (const s of http) assert.doesNotMatch(String(s.attributes['url.full']), /\/\/[^/]*@/);

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
