// What a person tracing a chip relies on, checked on the spans an OTLP receiver got from a run: each tile
// one trace (plus the run's), a chip's terminal span reaching the band fetches of its 3 scenes through
// parents and links with the chip named on every span of the way, HTTP client spans under search and fetch.
import assert from 'node:assert/strict';
import type { ReceivedSpan } from './otlp-receiver.ts';

export const spanNamesChip = (s: ReceivedSpan, chipId: string): boolean =>
  s.attributes['hls.chip_id'] === chipId || (Array.isArray(s.attributes['hls.chip_ids']) && (s.attributes['hls.chip_ids'] as unknown[]).includes(chipId));

/** Every span reached from `start` by parents and links (not a tile root's link to the run). */
export function spanAncestry(start: ReceivedSpan, byId: Map<string, ReceivedSpan>): ReceivedSpan[] {
  const seen = new Map<string, ReceivedSpan>();
  const todo = [start];
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (seen.has(s.spanId)) continue;
    seen.set(s.spanId, s);
    for (const id of [s.parentSpanId, ...s.links.filter((l) => l.attributes['hls.link'] !== 'run').map((l) => l.spanId)]) {
      const p = id ? byId.get(id) : undefined;
      if (p) todo.push(p);
    }
  }
  return [...seen.values()];
}

export const isHttpSpan = (s: ReceivedSpan): boolean => typeof s.attributes['http.request.method'] === 'string';

function under(s: ReceivedSpan, byId: Map<string, ReceivedSpan>, name: RegExp): boolean {
  for (let p = byId.get(s.parentSpanId); p; p = byId.get(p.parentSpanId)) if (name.test(p.name)) return true;
  return false;
}

export interface RunTraceExpectation {
  runId: string;
  /** Every tile the run requested. */
  tiles: string[];
  /** Chips that went through clipping: their paths must reach 3 scenes. */
  clippedChips: string[];
}

export function assertRunTraces(spans: ReceivedSpan[], x: RunTraceExpectation): void {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const roots = spans.filter((s) => s.parentSpanId === '');
  const tileRoots = roots.filter((s) => s.name.startsWith('tile '));
  assert.deepEqual(tileRoots.map((s) => s.name).sort(), x.tiles.map((t) => `tile ${t}`).sort());
  const traces = new Set(spans.map((s) => s.traceId));
  assert.equal(traces.size, x.tiles.length + 1, `traces: ${traces.size}; roots: ${roots.map((s) => s.name).join(', ')}`);
  for (const root of tileRoots) {
    assert.equal(root.links.length, 1, `${root.name} links the run`);
    assert.equal(root.attributes['hls.tile_id'], root.name.slice('tile '.length));
    for (const s of spans.filter((y) => y.traceId === root.traceId && !isHttpSpan(y))) {
      assert.equal(s.attributes['hls.run_id'], x.runId, `${s.name} has hls.run_id`);
      // The run's end and the dataset step happen in the trace of whichever tile's chip was last.
      if (!/dataset|run\.completed/.test(s.name)) assert.equal(s.attributes['hls.tile_id'], root.attributes['hls.tile_id'], `${s.name} has hls.tile_id`);
    }
  }
  assert.ok(x.clippedChips.length > 0);
  for (const chipId of x.clippedChips) {
    const terminal = spans.find((s) => /^publish hls\.chip\.(accepted|rejected|failed)$/.test(s.name) && s.attributes['hls.chip_id'] === chipId);
    assert.ok(terminal, `terminal span of ${chipId}`);
    const path = spanAncestry(terminal, byId);
    const fetches = path.filter((s) => s.name === 'ipfs-fetcher process hls.scene.selected');
    assert.equal(new Set(fetches.map((s) => s.attributes['hls.granule_id'])).size, 3, `${chipId} reaches the fetches of 3 scenes`);
    for (const s of path) assert.ok(spanNamesChip(s, chipId), `${s.name} on ${chipId}'s path names it`);
  }
  const joins = spans.filter((s) => s.name.startsWith('join tile '));
  assert.ok(joins.length > 0, 'tile-ready fan-in spans');
  for (const j of joins) assert.equal(j.links.length, 21, `${j.name} links its 21 bands`);
  const http = spans.filter(isHttpSpan);
  assert.ok(http.some((s) => under(s, byId, /^stac-scout process/)), 'HTTP spans under the STAC search');
  assert.ok(http.some((s) => under(s, byId, /^ipfs-fetcher process/)), 'HTTP spans under the band fetches');
  for (const s of http) assert.doesNotMatch(String(s.attributes['url.full']), /\/\/[^/]*@/, 'no credentials in URLs');
}
