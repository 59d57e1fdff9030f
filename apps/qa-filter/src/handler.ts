// qa-filter: hls.chip.clipped -> the QA decision (every date has valid Fmask, worst single invalid Fmask
// value < 5 % in every date, no nodata) -> accepted chips copied to chips_filtered/ -> hls.chip.accepted or
// hls.chip.rejected with the reason and the figures. Each chip's track_chips.csv row is kept as a record;
// the dataset step assembles track_chips.csv.
import { SUBJECTS, messageId } from '@hls/contracts';
import { filterChip } from '@hls/chips';
import { TransientError } from '@hls/runtime';
import type { Handler } from '@hls/runtime';

export const handleChipClipped: Handler<'hls.chip.clipped'> = async (event, ctx) => {
  const { runId, tileId, chipId, qa } = event;
  ctx.annotate({ runId, tileId, chipId });
  const dir = await ctx.datasetDir(runId);
  let decision;
  try {
    ({ decision } = await filterChip(dir, { chipId, tileId, qa, scenes: event.scenes }));
  } catch (e) {
    // The chipper wrote the files before publishing: a missing one is a shared volume still catching up.
    throw new TransientError(`chip ${chipId}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (decision.accepted) {
    await ctx.publish(SUBJECTS.chipAccepted, { runId, chipId, tileId, qa }, messageId(SUBJECTS.chipAccepted, runId, chipId));
  } else {
    await ctx.publish(
      SUBJECTS.chipRejected,
      { runId, chipId, tileId, reason: decision.reason, detail: decision.detail, qa },
      messageId(SUBJECTS.chipRejected, runId, chipId),
    );
  }
  ctx.log.info({ accepted: decision.accepted, badPctMax: decision.badPctMax, nodata: qa.nodataCount }, 'chip decided');
};
