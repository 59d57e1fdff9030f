// The pipeline's flow, written once: every step, the subject it consumes, the service that consumes it and
// what it publishes, and the progress state each event marks. Service subscriptions (SERVICE_SUBJECTS),
// the stream topology, the stage and state vocabulary of progress, `status` and the web page, the
// Kubernetes scalers' consumers and the README's flow table all come from here.
//
// Naming rule: events are facts in the past tense (`hls.<entity>.<verb-ed>`); the one command, a job a
// service gives itself to spread a tile's chips over replicas, lives under `hls.cmd.`.
import { SUBJECTS, type Subject } from './subjects.ts';

export const SERVICES = [
  'chip-index',
  'stac-scout',
  'scene-selector',
  'ipfs-fetcher',
  'reprojector',
  'chipper',
  'qa-filter',
  'dataset-analytics',
] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The stages of a run, in order: progress lines, trace span names and the flow table use these. */
export const STAGES = ['index', 'search', 'select', 'fetch', 'reproject', 'clip', 'qa', 'dataset'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * Where a tile or a chip stands: the last stage it finished, in pipeline order, or its terminal state.
 * Tiles end `reprojected` (their chips go on), `rejected` or `failed`; chips end `accepted`, `rejected` or `failed`.
 */
export const PROGRESS_STATES = ['indexed', 'searched', 'selected', 'fetched', 'reprojected', 'clipped', 'accepted', 'rejected', 'failed'] as const;
export type ProgressState = (typeof PROGRESS_STATES)[number];
export const CHIP_TERMINAL_STATES = ['accepted', 'rejected', 'failed'] as const;
export type ChipTerminalState = (typeof CHIP_TERMINAL_STATES)[number];
export const TILE_TERMINAL_STATES = ['rejected', 'failed'] as const;

export const isTerminalState = (s: ProgressState): boolean => (CHIP_TERMINAL_STATES as readonly string[]).includes(s);
/** Later in the pipeline (terminal states rank last). */
export const stateRank = (s: ProgressState): number => PROGRESS_STATES.indexOf(s);

/** The terminal chip subjects: every chip of a run ends on exactly one of them. */
export const CHIP_TERMINAL_SUBJECTS = [SUBJECTS.chipAccepted, SUBJECTS.chipRejected, SUBJECTS.chipFailed] as const;

export interface FlowStep {
  stage: Stage;
  service: ServiceName;
  consumes: readonly Subject[];
  publishes: readonly Subject[];
  /** What the step does, one line (the README's flow table). */
  does: string;
}

export const FLOW: readonly FlowStep[] = [
  {
    stage: 'index',
    service: 'chip-index',
    consumes: [SUBJECTS.runRequested],
    publishes: [SUBJECTS.chipIndexed, SUBJECTS.tileRequested, SUBJECTS.chipRejected, SUBJECTS.runCompleted],
    does: 'read the run inputs, assign every chip the tile that contains it, record the expected chip count',
  },
  {
    stage: 'search',
    service: 'stac-scout',
    consumes: [SUBJECTS.tileRequested],
    publishes: [SUBJECTS.tileSearched],
    does: "search the STAC API for the tile's HLS scenes, read each scene's metadata, band links and CIDs",
  },
  {
    stage: 'select',
    service: 'scene-selector',
    consumes: [SUBJECTS.tileSearched],
    publishes: [SUBJECTS.sceneSelected, SUBJECTS.tileRejected, SUBJECTS.chipRejected],
    does: 'cloud filter, coverage cascade, first/middle/last by date',
  },
  {
    stage: 'fetch',
    service: 'ipfs-fetcher',
    consumes: [SUBJECTS.sceneSelected],
    publishes: [SUBJECTS.bandFetched, SUBJECTS.tileFailed, SUBJECTS.chipFailed],
    does: "fetch the scene's 7 bands from the band sources, verified",
  },
  {
    stage: 'reproject',
    service: 'reprojector',
    consumes: [SUBJECTS.bandFetched],
    publishes: [SUBJECTS.bandReprojected, SUBJECTS.tileReprojected],
    does: "warp the band onto the CDL grid; the tile's 21st band announces the tile",
  },
  {
    stage: 'clip',
    service: 'chipper',
    consumes: [SUBJECTS.tileReprojected, SUBJECTS.chipClip],
    publishes: [SUBJECTS.chipClip, SUBJECTS.chipClipped, SUBJECTS.chipRejected],
    does: 'one job per chip; clip the merged, Fmask and mask chips, compute the QA figures',
  },
  {
    stage: 'qa',
    service: 'qa-filter',
    consumes: [SUBJECTS.chipClipped],
    publishes: [SUBJECTS.chipAccepted, SUBJECTS.chipRejected],
    does: 'accept or reject the chip on its QA figures; copy accepted chips to chips_filtered/',
  },
  {
    stage: 'dataset',
    service: 'dataset-analytics',
    // Terminal chips decide the run's completion; hls.run.completed (from whichever service saw the last
    // chip, or chip-index for a run without chips) starts the dataset step.
    consumes: [...CHIP_TERMINAL_SUBJECTS, SUBJECTS.runCompleted],
    publishes: [SUBJECTS.runCompleted, SUBJECTS.datasetBuilt],
    does: 'record terminal chips; once all are in: split, band statistics, class weights, plots',
  },
];

/** What each service consumes. A service with several subjects has one durable consumer per subject. */
export const SERVICE_SUBJECTS = ((): Record<ServiceName, readonly Subject[]> => {
  const out = {} as Record<ServiceName, readonly Subject[]>;
  for (const s of SERVICES) out[s] = FLOW.filter((f) => f.service === s).flatMap((f) => f.consumes);
  return out;
})();

/** The state an event marks for the tile or chip it is about (undefined: it marks none). */
export const STATE_MARKED_BY: Partial<Record<Subject, ProgressState>> = {
  [SUBJECTS.chipIndexed]: 'indexed',
  [SUBJECTS.tileRequested]: 'indexed',
  [SUBJECTS.tileSearched]: 'searched',
  [SUBJECTS.sceneSelected]: 'selected',
  [SUBJECTS.bandFetched]: 'fetched',
  [SUBJECTS.tileReprojected]: 'reprojected',
  [SUBJECTS.chipClipped]: 'clipped',
  [SUBJECTS.chipAccepted]: 'accepted',
  [SUBJECTS.chipRejected]: 'rejected',
  [SUBJECTS.tileRejected]: 'rejected',
  [SUBJECTS.chipFailed]: 'failed',
  [SUBJECTS.tileFailed]: 'failed',
};

/**
 * The stage an event belongs to in a run's timeline: the last step (in flow order) that publishes it; a
 * chip's terminal event, from whichever step, ends its chip's QA stage.
 */
export function stageOf(subject: string): Stage | undefined {
  if (subject === SUBJECTS.runRequested) return 'index';
  if ((CHIP_TERMINAL_SUBJECTS as readonly string[]).includes(subject)) return 'qa';
  return FLOW.findLast((f) => (f.publishes as readonly string[]).includes(subject))?.stage;
}

const mermaidId = (service: string): string => service.replace(/-/g, '_');

/**
 * The flow as a Mermaid diagram: an edge from each publishing service to each consuming one, labelled with
 * the subject; events nobody consumes go to the ledger (progress, `status`, the web page).
 */
export function flowDiagram(): string {
  const lines = ['flowchart LR', `  submit[hls-chips submit / run / demo] -- ${SUBJECTS.runRequested} --> ${mermaidId(FLOW[0]!.service)}`];
  for (const f of FLOW) lines.push(`  ${mermaidId(f.service)}[${f.service}]`);
  const edges = new Map<string, string[]>();
  for (const from of FLOW) {
    for (const subject of from.publishes) {
      const to = FLOW.filter((c) => c.consumes.includes(subject)).map((c) => mermaidId(c.service));
      for (const t of to.length > 0 ? to : ['ledger']) {
        const k = `${mermaidId(from.service)}|${t}`;
        edges.set(k, [...(edges.get(k) ?? []), subject]);
      }
    }
  }
  for (const [k, subjects] of edges) {
    const [from, to] = k.split('|');
    lines.push(`  ${from} -- "${subjects.join(', ')}" --> ${to}`);
  }
  lines.push('  ledger[(run ledger: KV runs, tiles, chips)]');
  return lines.join('\n');
}

/** The flow as a Markdown table. */
export function flowTable(): string {
  const code = (xs: readonly string[]): string => xs.map((x) => `\`${x}\``).join(', ');
  const rows = FLOW.map((f) => `| ${f.stage} | ${f.service} | ${code(f.consumes)} | ${f.does} | ${code(f.publishes)} |`);
  return ['| stage | service | consumes | does | publishes |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** The README's generated flow section (between its flow markers). */
export const flowReadmeBlock = (): string => ['```mermaid', flowDiagram(), '```', '', flowTable()].join('\n');
