// The demo: the sample world, the local stack over it (@hls/local-stack), then runPipeline.
import { resolve } from 'node:path';
import type { BandSourceName, ProcessingMode } from '@hls/contracts';
import { startLocalStack } from '@hls/local-stack';
import { DEFAULT_WORLD, SMALL_WORLD, ensureWorld, type World, type WorldOptions } from '@hls/world';
import { runPipeline, unfinishedRun, type PipelineOptions, type PipelineResult } from './run.ts';

export interface DemoOptions extends Pick<PipelineOptions, 'services' | 'processes' | 'progress' | 'timeoutMs' | 'runId' | 'beforeHealthClose'> {
  dataDir: string;
  seed?: number;
  /** The small test world (few chips, rasters around them only). */
  small?: boolean;
  /** Overrides of the world options (tests). */
  world?: Partial<WorldOptions>;
  /** Ack wait of every service (default 120 s): how soon a killed run's in-flight work is redelivered. */
  ackWaitMs?: number;
  /**
   * Where the bands come from: `ipfs` (the local IPFS provider, default), `local` (the world's granule
   * folders, in place), `https` (the LP DAAC emulator, with Earthdata Login by a token made for the run).
   */
  bands?: BandSourceName;
  /** `chips` (default: only the chips' windows are fetched and warped) or `tiles` (whole tiles). */
  processing?: ProcessingMode;
}

export interface DemoResult extends PipelineResult {
  world: World;
  /** Set when an unfinished run could not be resumed (its servers' ports were taken): which and why. */
  abandoned?: string;
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const dataDir = resolve(o.dataDir);
  const say = (s: string): void => void o.progress?.write(`${s}\n`);
  const options: Partial<WorldOptions> = { ...(o.small ? SMALL_WORLD : DEFAULT_WORLD), ...(o.seed !== undefined ? { seed: o.seed } : {}), ...o.world };
  const world = await ensureWorld({ dataDir, options, log: say });
  const chips = world.plan.tiles.map((t) => `${t.tileId} ${t.chips.length} (${t.role})`).join(', ');
  const worldNote = `world: ${world.dir} ${world.generated ? `generated in ${world.seconds.toFixed(1)} s` : 'cached'}, ${(world.bytes / 1e6).toFixed(1)} MB; chips per tile: ${chips}`;
  const stack = await startLocalStack({ dataDir, world, ...(o.bands ? { bands: o.bands } : {}), ...(o.ackWaitMs ? { ackWaitMs: o.ackWaitMs } : {}) });
  try {
    const unfinished = o.runId ? undefined : unfinishedRun(dataDir, 'demo');
    const abandoned = unfinished && stack.notResumable ? `cannot resume the unfinished run ${unfinished}: ${stack.notResumable}; starting a new run instead` : undefined;
    if (abandoned) say(`demo: ${abandoned}`);
    const r = await runPipeline({
      config: o.processing ? { ...stack.config, processing: o.processing } : stack.config,
      chipPayload: world.chipPayload,
      gridKml: world.gridKml,
      services: o.services,
      label: 'demo',
      resume: stack.resumable,
      notes: [worldNote, ...stack.notes],
      ...(o.processes ? { processes: o.processes } : {}),
      ...(o.progress ? { progress: o.progress } : {}),
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.beforeHealthClose ? { beforeHealthClose: o.beforeHealthClose } : {}),
      ...(o.runId ? { runId: o.runId } : {}),
    });
    return { ...r, world, ...(abandoned ? { abandoned } : {}) };
  } finally {
    await stack.close();
  }
}
