// scene-selector: hls.tile.searched -> cloud filter, coverage cascade, first/middle/last by date ->
// 3 x hls.scene.selected (slot 0/1/2), or hls.tile.rejected plus hls.chip.rejected ("no-scenes") for
// every chip of the tile. The selected scenes are written as the tile's part file
// (<dataset>/.scene-parts/<tile>.json, atomic); selected_tiles.csv and tile_payloads.json are then
// rebuilt from all parts. Replicas merging at once can leave a snapshot that misses a tile written a
// moment later, so the end of the run should call mergeSceneParts(datasetDir) once more (it is cheap
// and idempotent) for the authoritative files.
import { SUBJECTS, messageId } from '@hls/contracts';
import { forEachInWindow, type Handler } from '@hls/runtime';
import { mergeSceneParts, removeScenePart, selectScenes, writeScenePart } from '@hls/stac';

export const handleTileSearched: Handler<'hls.tile.searched'> = async (event, ctx) => {
  const { runId, tileId, chipIds, scenes, problems } = event;
  ctx.annotate({ runId, tileId });
  const { config } = await ctx.run(runId);
  const r = selectScenes(scenes, { cloudCoverThreshold: config.cloud_cover_threshold, middle: config.scene_selection.middle });
  if (!r.ok) {
    const unreadable = problems.length > 0 ? `; ${problems.length} metadata document(s) unreadable (${problems.map((p) => p.granuleId ?? p.source).join(', ')})` : '';
    const detail = `tile ${tileId}: ${r.detail}${unreadable}`;
    ctx.log.info({ tileId, chips: chipIds.length }, `tile rejected: ${detail}`);
    // A re-run that now rejects a tile must not leave its earlier selection in the merged files.
    const dir = await ctx.datasetDir(runId);
    if (await removeScenePart(dir, tileId)) await mergeSceneParts(dir);
    await ctx.publish(SUBJECTS.tileRejected, { runId, tileId, chipIds, reason: r.reason, detail }, messageId(SUBJECTS.tileRejected, runId, tileId));
    await forEachInWindow(chipIds, (chipId) => ctx.publish(SUBJECTS.chipRejected, { runId, chipId, tileId, reason: r.reason, detail }, messageId(SUBJECTS.chipRejected, runId, chipId)));
    return;
  }
  const dir = await ctx.datasetDir(runId);
  await writeScenePart(dir, tileId, r.scenes);
  await mergeSceneParts(dir);
  const granuleIds = r.scenes.map((s) => s.granuleId);
  ctx.log.info({ tileId, granuleIds, coverageLevel: r.coverageLevel, candidates: r.candidates.length }, 'scenes selected');
  for (const [slot, scene] of r.scenes.entries()) {
    await ctx.publish(
      SUBJECTS.sceneSelected,
      { runId, tileId, chipIds, slot, scene, granuleIds },
      messageId(SUBJECTS.sceneSelected, runId, tileId, String(slot)),
    );
  }
};
