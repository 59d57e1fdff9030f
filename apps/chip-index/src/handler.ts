// chip-index: hls.run.requested -> read the chip payload (+ its EPSG:5070 twin, derived when absent) and
// the parsed tile grid from the run-inputs object store, assign every chip the tile whose footprint
// contains it, write chips_id.json, chips_df.csv and tile_choice_report.csv, record the run's expected
// chip count in KV, then publish hls.chip.indexed per chip, hls.tile.requested per tile and
// hls.chip.rejected per rejected chip (a feature without a usable id under a stand-in id,
// `feature-<index>`, so every feature is counted).
// A run with no chip at all is complete at once (the ledger publishes hls.run.completed).
// Idempotent: output files are rewritten with the same content and every message id is deterministic.
import { SUBJECTS, TileIdSchema, messageId, type ChipId, type TileId } from '@hls/contracts';
import { gridFromCache, indexPayload, parseChipPayload, standInChipId, tileSearchGeometry, writeChipIndexFiles, type ChipIndexResult, type ChipIssue } from '@hls/geo';
import type { RunRecord } from '@hls/ledger';
import { PermanentError, forEachInWindow, type Handler } from '@hls/runtime';
import { withTileTrace } from '@hls/telemetry';

/** What the run's ledger record gets from chip-index. */
export type ChipIndexRunRecord = Required<RunRecord>;

const MAX_LISTED_INVALID = 200;

/** The run's payload (+ twin) and grid from the run-inputs object store, indexed. Bad input is permanent. */
async function indexRunInputs(runId: string, ctx: Parameters<Handler<'hls.run.requested'>>[1]): Promise<{ r: ChipIndexResult; gridLabel: string }> {
  const [payload, twin, grid] = [await ctx.runInput(runId, 'chipPayload'), await ctx.runInput(runId, 'chipPayloadTwin'), await ctx.runInput(runId, 'grid')];
  if (!payload || !grid) throw new PermanentError(`run ${runId}: the run spec has no chip payload or grid input`);
  const text = (b: Uint8Array): string => new TextDecoder().decode(b);
  try {
    const p = parseChipPayload({ file: payload.label, text: text(payload.bytes) }, twin ? { file: twin.label, text: text(twin.bytes) } : null);
    return { r: indexPayload(p, gridFromCache(text(grid.bytes), grid.label).tiles), gridLabel: grid.label };
  } catch (e) {
    // The bytes are the ones submitted (their SHA-256 was checked): parsing them again gives the same error.
    throw new PermanentError(`run ${runId}: cannot index the chips of ${payload.label} against ${grid.label}: ${(e as Error).message}`, { cause: e });
  }
}

export const handleRunRequested: Handler<'hls.run.requested'> = async (event, ctx) => {
  const { runId } = event;
  ctx.annotate({ runId });
  const dir = await ctx.datasetDir(runId);
  const { r, gridLabel } = await indexRunInputs(runId, ctx);

  // A grid tile whose name is not a valid tile id cannot be requested: its chips are rejected.
  const rejected: ChipIssue[] = [...r.rejected];
  const tiles = r.tiles.filter((g) => {
    if (TileIdSchema.safeParse(g.tile.name).success) return true;
    for (const chipId of g.chipIds) {
      rejected.push({ file: gridLabel, index: -1, id: chipId, chipId, reason: 'no-tile', detail: `chip ${chipId}: grid tile name ${JSON.stringify(g.tile.name)} is not a valid tile id` });
    }
    return false;
  });
  const tileIds = new Map(tiles.map((g) => [g.tile.name, g.tile.name as TileId]));
  const assigned = r.assigned.filter((a) => tileIds.has(a.tile.name));

  const rejectedChips = new Map<ChipId, ChipIssue>();
  const invalid: ChipIndexRunRecord['chipIndex']['invalidFeatures'] = [];
  for (const i of rejected) if (i.chipId && !rejectedChips.has(i.chipId)) rejectedChips.set(i.chipId, i);
  const taken = new Set<string>([...r.assigned.map((a) => a.chip.id), ...rejectedChips.keys()]);
  for (const i of rejected) {
    if (i.chipId) continue;
    const standInId = standInChipId(i.index, taken);
    taken.add(standInId);
    rejectedChips.set(standInId, i);
    invalid.push({ index: i.index, id: i.id, standInId, reason: i.reason, detail: i.detail });
  }
  for (const i of invalid) ctx.log.warn({ feature: i.index, reason: i.reason }, i.detail);
  for (const x of r.payload.twinExtra) ctx.log.warn({ chipId: x.id }, x.detail);

  await writeChipIndexFiles(dir, { ...r, assigned, rejected, tiles });

  // The expected count goes to KV before any terminal chip event, so completion is never judged early.
  const record: ChipIndexRunRecord = {
    expectedChips: assigned.length + rejectedChips.size,
    chipIndex: {
      assigned: assigned.length,
      rejected: rejectedChips.size,
      tiles: tiles.length,
      invalidFeatures: invalid.slice(0, MAX_LISTED_INVALID),
      twin: r.payload.twin,
    },
  };
  await ctx.ledger.recordExpectedChips(runId, record);
  ctx.log.info({ chips: assigned.length, rejected: rejectedChips.size, invalid: invalid.length, tiles: tiles.length, twin: r.payload.twin }, 'chips indexed');

  let n = 0;
  const tick = () => {
    if (++n % 500 === 0) ctx.working();
  };
  // A chip's events change no shared record: they go out a window at a time (one JetStream round trip per
  // window, not per chip; a run over the US has ~100k of them).
  await forEachInWindow(assigned, async (a) => {
    await ctx.publish(
      SUBJECTS.chipIndexed,
      { runId, chipId: a.chip.id, tileId: tileIds.get(a.tile.name) as TileId, bbox5070: a.chip.bbox5070, center: a.chip.center },
      messageId(SUBJECTS.chipIndexed, runId, a.chip.id),
    );
    tick();
  });
  await forEachInWindow(rejectedChips, async ([chipId, i]) => {
    await ctx.publish(SUBJECTS.chipRejected, { runId, chipId, reason: i.reason, detail: i.detail }, messageId(SUBJECTS.chipRejected, runId, chipId));
    tick();
  });
  const areaOf = new Map(assigned.map((a) => [a.chip.id, a.chip.geometry]));
  const boxOf = new Map(assigned.map((a) => [a.chip.id, a.chip.bbox5070]));
  for (const g of tiles) {
    const tileId = tileIds.get(g.tile.name) as TileId;
    const chipAreas = g.chipIds.map((id) => areaOf.get(id)).filter((x) => x !== undefined);
    const chipBoxes = g.chipIds.map((id) => boxOf.get(id)).filter((x) => x !== undefined);
    // Each tile is its own trace (linked to the run's): a run's thousands of chips never make one trace.
    await withTileTrace({ runId, tileId, chipIds: g.chipIds }, () =>
      ctx.publish(
        SUBJECTS.tileRequested,
        { runId, tileId, chipIds: g.chipIds, epsg: g.tile.epsg, footprintUtm: g.tile.footprintUtm, searchGeometry: tileSearchGeometry(g.tile), chipAreas, chipBoxes },
        messageId(SUBJECTS.tileRequested, runId, tileId),
      ),
    );
    tick();
  }
  // Nothing to wait for when the payload held no feature: the run is complete now.
  await ctx.ledger.completeRunWhenDone(runId, 'chip-index', ctx.publish);
};
