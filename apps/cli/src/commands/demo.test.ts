// The demo end to end in this process on the small world: every chip ends in exactly one terminal
// state, accepted chips are in chips_filtered/, the no-scenes tile's chips are rejected "no-scenes", the
// dataset files exist; a second run downloads, warps and clips nothing again and says so.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DATASET_DIRS, DATASET_FILES, SERVICES } from '@hls/contracts';
import { formatSummary, runDemo } from '@hls/pipeline';
import { createServices } from '../registry.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-demo-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const services = createServices(SERVICES);

/** Downloads, warps and clips: their files must not be written again. */
function mtimes(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of [DATASET_DIRS.tiles, DATASET_DIRS.reprojected, DATASET_DIRS.chips, DATASET_DIRS.fmask]) {
    const root = join(dir, d);
    for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
      if (e.isFile()) out.set(join(e.parentPath, e.name), statSync(join(e.parentPath, e.name)).mtimeMs);
    }
  }
  return out;
}

function hashes(dir: string): Record<string, string> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
}

describe('hls-chips demo (small world, one process)', () => {
  test('end to end, then again with nothing redone', { timeout: 600_000 }, async () => {
    const r = await runDemo({ dataDir: tmp, small: true, services, timeoutMs: 300_000 });
    assert.equal(r.complete, true, formatSummary(r));
    const planned = r.world.plan.tiles.flatMap((t) => t.chips.map((c) => c.id));
    assert.equal(r.expected, planned.length);
    // Exactly one terminal state per chip: the counts add up and no chip had two different ones.
    assert.equal(r.accepted + r.rejected + r.failed, planned.length);
    assert.deepEqual(r.conflicts, []);
    const noScenes = r.world.plan.tiles.find((t) => t.role === 'no-scenes')!;
    assert.equal(r.reasons['rejected: no-scenes'], noScenes.chips.length);
    assert.ok(r.accepted > 0, 'some chips accepted');
    // The partial scene's wedge and the big cloud reject chips for nodata and QA.
    assert.ok((r.reasons['rejected: nodata'] ?? 0) >= 1, JSON.stringify(r.reasons));
    assert.ok((r.reasons['rejected: qa'] ?? 0) >= 1, JSON.stringify(r.reasons));

    const dir = r.datasetDir;
    const track = readFileSync(join(dir, DATASET_FILES.trackChips), 'utf8').trim().split('\n').slice(1);
    const accepted = track.filter((l) => l.includes(',accepted,')).map((l) => l.split(',')[10] as string);
    assert.equal(accepted.length, r.accepted);
    const filtered = readdirSync(join(dir, DATASET_DIRS.filtered));
    for (const id of accepted) assert.ok(filtered.includes(`${id}_merged.tif`) && filtered.includes(`${id}.mask.tif`), id);
    assert.equal(filtered.filter((f) => f.endsWith('_merged.tif')).length, r.accepted);
    for (const f of [DATASET_FILES.trainIds, DATASET_FILES.valIds, DATASET_FILES.globalStats, DATASET_FILES.classWeights, DATASET_FILES.selectedTiles, DATASET_FILES.tilePayloads, DATASET_FILES.chipsId])
      assert.ok(existsSync(join(dir, f)), f);
    assert.equal(r.bands.fetched, 42);
    assert.equal(r.bands.fetchedReused, 0);

    const before = mtimes(dir);
    const filteredBefore = hashes(join(dir, DATASET_DIRS.filtered));
    const again = await runDemo({ dataDir: tmp, small: true, services, timeoutMs: 300_000 });
    assert.equal(again.complete, true, formatSummary(again));
    assert.equal(again.world.generated, false);
    assert.notEqual(again.runId, r.runId);
    assert.deepEqual([again.accepted, again.rejected, again.failed, again.reasons], [r.accepted, r.rejected, r.failed, r.reasons]);
    // Nothing downloaded, warped or clipped again: every band reused and no output file rewritten.
    assert.deepEqual(again.bands, { fetched: 42, fetchedReused: 42, mbFetched: 0, reprojected: 42, reprojectedReused: 42, bySource: { ipfs: 42 } });
    assert.match(formatSummary(again), /nothing downloaded or warped again/);
    const afterRun = mtimes(dir);
    assert.equal(afterRun.size, before.size);
    for (const [f, t] of before) assert.equal(afterRun.get(f), t, `${f} was rewritten`);
    // The accepted copies (the qa-filter copies again) hold the same bytes.
    assert.deepEqual(hashes(join(dir, DATASET_DIRS.filtered)), filteredBefore);
  });
});
