// What the run map shows: one state per chip, folded from the run's pipeline events. Pure: the same
// events in the same order give the same model, whether they come from a replay or live.
import { CHIP_TERMINAL_STATES, ChipIdSchema, EVENT_SCHEMAS, PROGRESS_STATES, SUBJECTS, datasetDir, isTerminalState, type ProgressState, type QaFigures, type RunInputRef, type RunInputs, type Subject } from '@hls/contracts';
import { advance as advanceState, sceneRefs, stateMarkedBy } from '@hls/ledger';

/** Chip states: the flow's progress states, in pipeline order; the last three are terminal. */
export const CHIP_STATES = PROGRESS_STATES;
export type ChipState = ProgressState;

export interface SceneRef {
  granuleId: string;
  date: string;
}

export interface ChipView {
  id: string;
  state: ChipState;
  tileId?: string;
  /** [lon, lat], from hls.chip.indexed. */
  center?: [number, number];
  /** The tile's 3 selected scenes in date order. */
  scenes?: SceneRef[];
  qa?: QaFigures;
  reason?: string;
  detail?: string;
  /** Distinct W3C trace ids of this chip's own events, oldest first. */
  traceIds: string[];
  /** Subject of the last event that changed the chip. */
  lastSubject?: string;
}

export type StateCounts = Record<ChipState, number>;

export interface RunSnapshot {
  runId: string;
  chipPayload?: string;
  expectedChips?: number;
  completed: boolean;
  counts: StateCounts;
  chips: ChipView[];
  /** Events that did not validate against their subject's schema (named, then ignored). */
  invalid: Array<{ subject: string; error: string }>;
}

export interface RunModel {
  runId: string;
  /** The chip payload's name for the page (the file it was submitted from). */
  chipPayload?: string;
  /** The run's chip payload and twin in the run-inputs object store (the map draws their boxes). */
  payloadInputs?: { payload: RunInputRef; twin?: RunInputRef };
  /** The run's dataset dir (from hls.run.requested's config). */
  datasetDir?: string;
  expectedChips?: number;
  completed: boolean;
  chips: Map<string, ChipView>;
  /** Chips of each tile, from chip.indexed and the tile events' chipIds. */
  tileChips: Map<string, Set<string>>;
  tileScenes: Map<string, SceneRef[]>;
  invalid: Array<{ subject: string; error: string }>;
}

export function newRunModel(runId: string): RunModel {
  return { runId, completed: false, chips: new Map(), tileChips: new Map(), tileScenes: new Map(), invalid: [] };
}

/** The 32-hex trace id of a `traceparent` header (`00-<trace>-<span>-<flags>`), or undefined. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent?.trim() ?? '');
  return m && !/^0+$/.test(m[1] as string) ? m[1] : undefined;
}

/** The runId of an event payload, when it has a string one. */
export function runIdOf(data: unknown): string | undefined {
  const r = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).runId : undefined;
  return typeof r === 'string' ? r : undefined;
}

function chip(m: RunModel, id: string): ChipView {
  let c = m.chips.get(id);
  if (!c) {
    c = { id, state: 'indexed', traceIds: [] };
    m.chips.set(id, c);
  }
  return c;
}

function addToTile(m: RunModel, tileId: string, chipIds: readonly string[]): void {
  let s = m.tileChips.get(tileId);
  if (!s) m.tileChips.set(tileId, (s = new Set()));
  for (const id of chipIds) {
    s.add(id);
    chip(m, id).tileId ??= tileId;
  }
}

/** Move a chip forward by the ledger's rule; a terminal state is final (the first terminal event wins). */
function advance(c: ChipView, to: ChipState, subject: string): boolean {
  const next = advanceState(c.state, to, CHIP_TERMINAL_STATES);
  if (next === c.state) return false;
  c.state = next;
  c.lastSubject = subject;
  return true;
}

function setScenes(m: RunModel, tileId: string, scenes: SceneRef[]): void {
  m.tileScenes.set(tileId, scenes);
  for (const id of m.tileChips.get(tileId) ?? []) chip(m, id).scenes = scenes;
}

/**
 * Fold one event into the model. Returns the ids of the chips it changed (empty for events of other
 * runs, unknown subjects and invalid payloads; invalid ones are recorded in `invalid`).
 */
export function applyEvent(m: RunModel, subject: string, data: unknown, traceparent?: string): string[] {
  if (!(subject in EVENT_SCHEMAS)) return [];
  if (runIdOf(data) !== m.runId) return [];
  const parsed = EVENT_SCHEMAS[subject as Subject].safeParse(data);
  if (!parsed.success) {
    m.invalid.push({ subject, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') });
    return [];
  }
  const trace = traceIdOf(traceparent);
  const changed = new Set<string>();
  const onChip = (id: string, to: ChipState | undefined, patch: Partial<ChipView> = {}) => {
    const c = chip(m, id);
    const moved = to ? advance(c, to, subject) : false;
    // Details (QA, reason) belong to the state the chip is in: a late event for an old stage adds nothing.
    // A repeat of the current state (e.g. the terminal event after the KV record) still brings its details.
    if (moved || !to || c.state === to) Object.assign(c, patch);
    if (trace && !c.traceIds.includes(trace)) c.traceIds.push(trace);
    changed.add(id);
  };
  const onTile = (tileId: string, to: ChipState, patch: Partial<ChipView> = {}) => {
    for (const id of m.tileChips.get(tileId) ?? []) {
      if (advance(chip(m, id), to, subject)) {
        Object.assign(chip(m, id), patch);
        changed.add(id);
      }
    }
  };
  const ev = parsed.data as Record<string, unknown>;
  // The state this event marks, by the flow (the ledger's vocabulary): tile events move all the tile's chips.
  const marked = stateMarkedBy(subject);
  switch (subject) {
    case SUBJECTS.runRequested: {
      const inputs = ev.inputs as RunInputs;
      m.chipPayload = inputs.chipPayload.source ?? inputs.chipPayload.object;
      m.payloadInputs = { payload: inputs.chipPayload, ...(inputs.chipPayloadTwin ? { twin: inputs.chipPayloadTwin } : {}) };
      {
        // Where the run writes its dataset: the chips' quick-looks are served from there.
        const c = ev.config as { data_dir?: unknown; train_dataset_name?: unknown } | undefined;
        if (typeof c?.data_dir === 'string' && typeof c.train_dataset_name === 'string') m.datasetDir = datasetDir(c.data_dir, c.train_dataset_name);
      }
      break;
    }
    case SUBJECTS.chipIndexed: {
      const tileId = ev.tileId as string;
      addToTile(m, tileId, [ev.chipId as string]);
      onChip(ev.chipId as string, undefined, { tileId, center: ev.center as [number, number] });
      const scenes = m.tileScenes.get(tileId);
      if (scenes) chip(m, ev.chipId as string).scenes = scenes;
      break;
    }
    case SUBJECTS.tileRequested:
      addToTile(m, ev.tileId as string, ev.chipIds as string[]);
      for (const id of ev.chipIds as string[]) changed.add(id);
      break;
    case SUBJECTS.tileSearched:
      addToTile(m, ev.tileId as string, ev.chipIds as string[]);
      onTile(ev.tileId as string, marked!);
      break;
    case SUBJECTS.sceneSelected:
      addToTile(m, ev.tileId as string, ev.chipIds as string[]);
      setScenes(m, ev.tileId as string, sceneRefs(ev.granuleIds as string[]));
      onTile(ev.tileId as string, marked!);
      for (const id of ev.chipIds as string[]) changed.add(id);
      break;
    case SUBJECTS.tileRejected:
    case SUBJECTS.tileFailed:
      addToTile(m, ev.tileId as string, ev.chipIds as string[]);
      onTile(ev.tileId as string, marked!, { reason: ev.reason as string, detail: ev.detail as string });
      break;
    case SUBJECTS.bandFetched:
      onTile(ev.tileId as string, marked!);
      break;
    case SUBJECTS.tileReprojected:
      addToTile(m, ev.tileId as string, ev.chipIds as string[]);
      setScenes(m, ev.tileId as string, ev.scenes as SceneRef[]);
      onTile(ev.tileId as string, marked!);
      for (const id of ev.chipIds as string[]) changed.add(id);
      break;
    case SUBJECTS.chipClip:
      addToTile(m, ev.tileId as string, [ev.chipId as string]);
      onChip(ev.chipId as string, undefined, { scenes: ev.scenes as SceneRef[] });
      break;
    case SUBJECTS.chipClipped:
      addToTile(m, ev.tileId as string, [ev.chipId as string]);
      onChip(ev.chipId as string, marked!, { scenes: ev.scenes as SceneRef[], qa: ev.qa as QaFigures });
      break;
    case SUBJECTS.chipAccepted:
    case SUBJECTS.chipRejected:
    case SUBJECTS.chipFailed: {
      const state = marked!;
      if (typeof ev.tileId === 'string') addToTile(m, ev.tileId, [ev.chipId as string]);
      const patch: Partial<ChipView> = {};
      if (ev.qa) patch.qa = ev.qa as QaFigures;
      if (typeof ev.reason === 'string') patch.reason = ev.reason;
      if (typeof ev.detail === 'string') patch.detail = ev.detail;
      if (typeof ev.error === 'string') patch.detail = ev.error;
      onChip(ev.chipId as string, state, patch);
      break;
    }
    case SUBJECTS.runCompleted:
      m.completed = true;
      m.expectedChips ??= ev.expected as number;
      break;
    default:
      break;
  }
  return [...changed];
}

/**
 * Fold a chip's terminal record from the chips KV (`<runId>.<chipId>` -> {state, tileId, reason}):
 * it fills in chips whose events have aged out of the stream. A chip already terminal keeps its state.
 */
export function applyKvChip(m: RunModel, chipId: string, rec: unknown): boolean {
  if (!ChipIdSchema.safeParse(chipId).success || typeof rec !== 'object' || rec === null) return false;
  const r = rec as Record<string, unknown>;
  if (typeof r.state !== 'string' || !(PROGRESS_STATES as readonly string[]).includes(r.state) || !isTerminalState(r.state as ChipState)) return false;
  const c = chip(m, chipId);
  if (!advance(c, r.state as ChipState, 'kv')) return false;
  if (typeof r.tileId === 'string') {
    c.tileId ??= r.tileId;
    addToTile(m, r.tileId, [chipId]);
  }
  if (typeof r.reason === 'string') {
    // The KV keeps "reason: detail" in one string.
    const [reason, ...detail] = r.reason.split(': ');
    c.reason = reason;
    if (detail.length) c.detail = detail.join(': ');
  }
  return true;
}

export function stateCounts(chips: Iterable<ChipView>): StateCounts {
  const counts = Object.fromEntries(CHIP_STATES.map((s) => [s, 0])) as StateCounts;
  for (const c of chips) counts[c.state]++;
  return counts;
}

export function snapshot(m: RunModel): RunSnapshot {
  const chips = [...m.chips.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    runId: m.runId,
    ...(m.chipPayload ? { chipPayload: m.chipPayload } : {}),
    ...(m.expectedChips !== undefined ? { expectedChips: m.expectedChips } : {}),
    completed: m.completed,
    counts: stateCounts(chips),
    chips,
    invalid: m.invalid.slice(-50),
  };
}
