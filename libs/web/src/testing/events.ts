// Valid pipeline events (per the contracts schemas) for a couple of real chips, for the run view tests.
import { SUBJECTS, makeEvent, type EventInput, type Subject } from '@hls/contracts';

export const RUN = 'web-test-run';
/** Three granules of a tile in date order (first, middle, last), as scene-selector picks them. */
export function scenesOf(tileId: string): Array<{ granuleId: string; date: string }> {
  return [
    { granuleId: `HLS.S30.T${tileId}.2022152T170851.v2.0`, date: '2022-06-01' },
    { granuleId: `HLS.S30.T${tileId}.2022182T170851.v2.0`, date: '2022-07-01' },
    { granuleId: `HLS.S30.T${tileId}.2022222T170851.v2.0`, date: '2022-08-10' },
  ];
}
export const QA_GOOD = { validCounts: [50176, 50100, 49000], badPercents: [0, 0.15, 2.3], nodataCount: 0, unmappedCdlPixels: 0 };
export const QA_BAD = { validCounts: [30000, 50100, 49000], badPercents: [40.2, 0.15, 2.3], nodataCount: 0, unmappedCdlPixels: 0 };

export interface Step {
  subject: Subject;
  data: Record<string, unknown>;
}

function step<S extends Subject>(subject: S, input: EventInput<S>): Step {
  return { subject, data: makeEvent(subject, input) as unknown as Record<string, unknown> };
}

export function indexed(chipId: string, tileId: string, center: [number, number]): Step {
  return step(SUBJECTS.chipIndexed, { runId: RUN, chipId, tileId, bbox5070: [0, 0, 6720, 6720], center });
}
export function tileReady(tileId: string, chipIds: string[]): Step {
  const chips = chipIds.map((chipId) => ({ chipId, bbox5070: [0, 0, 6720, 6720] as [number, number, number, number] }));
  return step(SUBJECTS.tileReprojected, { runId: RUN, tileId, chipIds, chips, scenes: scenesOf(tileId) });
}
export function clipped(chipId: string, tileId: string, qa = QA_GOOD): Step {
  return step(SUBJECTS.chipClipped, {
    runId: RUN,
    tileId,
    chipId,
    scenes: scenesOf(tileId),
    qa,
    files: { merged: `chips/${chipId}_merged.tif`, mask: `chips/${chipId}.mask.tif`, fmask: `chips_fmask/${chipId}_Fmask.tif` },
  });
}
export function accepted(chipId: string, tileId: string): Step {
  return step(SUBJECTS.chipAccepted, { runId: RUN, chipId, tileId, qa: QA_GOOD });
}
export function rejected(chipId: string, tileId: string, reason = 'qa', detail = 'bad Fmask value 40.20 % in date 1'): Step {
  return step(SUBJECTS.chipRejected, { runId: RUN, chipId, tileId, reason, detail, ...(reason === 'qa' ? { qa: QA_BAD } : {}) });
}
