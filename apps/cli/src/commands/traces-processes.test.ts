// The same traces from a --processes demo (every service its own process, exporting on its own): each
// tile one trace plus the run's, chips reaching their 3 scenes across process boundaries, HTTP spans.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { formatSummary, runDemo } from '@hls/pipeline';
import { assertRunTraces, startOtlpReceiver } from '@hls/testing';

const tmp = mkdtempSync(join(tmpdir(), 'hls-traces-p-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const apps = join(import.meta.dirname, '..', '..', '..');

test('--processes demo: one trace per tile plus the run, chips reach their 3 scenes, HTTP spans', { timeout: 600_000 }, async () => {
  const otlp = await startOtlpReceiver();
  after(() => otlp.close());
  // The children inherit these (childEnv passes OTEL_* on).
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = otlp.endpoint;
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
  const r = await runDemo({
    dataDir: tmp,
    small: true,
    services: [],
    processes: { argv: (name) => [join(apps, name, 'src', 'main.ts')], replicas: { reprojector: 2 } },
    timeoutMs: 400_000,
  });
  assert.equal(r.complete, true, formatSummary(r));
  const plan = r.world.plan.tiles;
  assert.ok(new Set(otlp.spans.map((s) => s.serviceName)).size >= 8, 'spans from every service process');
  assertRunTraces(otlp.spans, {
    runId: r.runId,
    tiles: plan.map((t) => t.tileId),
    clippedChips: plan.filter((t) => t.role !== 'no-scenes').flatMap((t) => t.chips.map((c) => c.id)),
  });
});
