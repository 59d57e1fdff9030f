// Submit a run to services that are already running (docker-compose, Kubernetes, or the ones `run` starts):
// upload its inputs to the run-inputs object store, record the run spec, publish hls.run.requested; then
// follow it (progress from the event stream, the end from the run ledger) to its summary.
// Deterministic for redelivery and resume: the same run id gives the same objects and message id, and a run
// id already recorded keeps the spec (and inputs) it was first submitted with.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Bus } from '@hls/bus';
import {
  OBJECT_BUCKETS,
  STREAMS,
  SUBJECTS,
  datasetDir,
  messageId,
  withoutSecrets,
  type Config,
  type EventOf,
  type RunInputName,
} from '@hls/contracts';
import { gridToCache, loadS2Grid, twinPathOf } from '@hls/geo';
import { RunLedger, type RunFinished } from '@hls/ledger';
import { uploadRunInputs, type RunInputData } from '@hls/runtime';
import { RunTracker, progressLines } from './progress.ts';
import { summarize, type RunSummary } from './summary.ts';

/** A new run id: `<label>-<UTC time to the second>`, e.g. `run-20261201T222633`. */
export const newRunId = (label: string): string => `${label}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;

export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean };

/** Where a run's inputs are read from on the submitter's disk (default: the config's keys). */
export interface InputFiles {
  chipPayload?: string;
  gridKml?: string;
}

async function readInput(what: string, file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new Error(`${what} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { cause: e });
  }
}

/**
 * The run's inputs from the submitter's disk: the chip payload and its `_5070` twin when there is one, the
 * tile grid parsed into its compact JSON (so no service parses the KML), the CDL reclass table, and the
 * config without NATS credentials.
 */
export async function readRunInputFiles(config: Config, files: InputFiles = {}): Promise<{ [K in RunInputName]?: RunInputData }> {
  const payload = files.chipPayload ?? config.chip_payload_filename;
  const grid = files.gridKml ?? config.grid_kml;
  if (!payload) throw new Error('chip_payload_filename: not set: the run needs a chip payload (EPSG:4326 GeoJSON)');
  if (!grid) throw new Error('grid_kml: not set: the run needs the Sentinel-2 tile grid');
  const abs = resolve(payload);
  const twin = twinPathOf(abs);
  const table = config.cdl.reclass_table;
  let tiles;
  try {
    tiles = await loadS2Grid(resolve(grid));
  } catch (e) {
    throw new Error(`grid_kml ${resolve(grid)}: ${(e as Error).message}`, { cause: e });
  }
  return {
    chipPayload: { bytes: await readInput('chip_payload_filename', abs), source: abs },
    ...(existsSync(twin) ? { chipPayloadTwin: { bytes: await readInput('chip payload twin', twin), source: twin } } : {}),
    // No source size/mtime: the same grid gives the same bytes, so a resubmit uploads nothing.
    grid: { bytes: new TextEncoder().encode(gridToCache(tiles, null)), source: resolve(grid) },
    ...(table ? { reclassTable: { bytes: await readInput('cdl.reclass_table', resolve(table)), source: resolve(table) } } : {}),
    config: { bytes: new TextEncoder().encode(`${JSON.stringify(withoutSecrets(config), null, 1)}\n`) },
  };
}

export interface SubmitOptions {
  bus: Bus;
  /** The run's config; data_dir as the services see it. */
  config: Config;
  runId: string;
  files?: InputFiles;
  /** One line per step (what was uploaded, a resubmitted run). */
  note?: (line: string) => void;
}

export interface Submitted {
  event: EventOf<'hls.run.requested'>;
  /** True when the run id was already recorded: its first spec and inputs are used. */
  resubmitted: boolean;
  /** Inputs sent now (none when the objects already held the same bytes). */
  uploaded: RunInputName[];
}

/** The spec recorded for a run id, if any. */
export async function storedRunSpec(bus: Bus, runId: string): Promise<EventOf<'hls.run.requested'> | undefined> {
  return (await RunLedger.lookup(bus))?.runSpec(runId);
}

export async function submitRun(o: SubmitOptions): Promise<Submitted> {
  const { bus, runId } = o;
  await bus.ensureStream();
  const store = await bus.objects(OBJECT_BUCKETS.runInputs);
  const stored = await storedRunSpec(bus, runId);
  let event: EventOf<'hls.run.requested'>;
  let uploaded: RunInputName[] = [];
  if (stored) {
    // Its services read the objects its spec names: they must still hold those bytes.
    for (const [name, ref] of Object.entries(stored.inputs)) {
      const have = await store.stat(ref.object);
      if (!have || have.sha256 !== ref.sha256)
        throw new Error(`run ${runId}: input ${name} (object ${ref.object} in bucket ${store.bucket}) is ${have ? 'not the one the run was submitted with' : 'gone'}: submit it under a new run id`);
    }
    event = stored;
    o.note?.(`run ${runId}: submitted before; resuming with the spec and inputs it was first submitted with`);
  } else {
    const data = await readRunInputFiles(o.config, o.files);
    const up = await uploadRunInputs(store, runId, data);
    uploaded = up.uploaded;
    const { chipPayload, grid, config } = up.refs;
    if (!chipPayload || !grid || !config) throw new Error(`run ${runId}: the chip payload, grid and config inputs are required`);
    event = {
      schemaVersion: 1,
      runId,
      requestedAt: new Date().toISOString(),
      // Events and KV are readable by every client of the server: no credentials.
      config: withoutSecrets(o.config),
      inputs: { ...up.refs, chipPayload, grid, config },
    } as EventOf<'hls.run.requested'>;
    await (await RunLedger.open(bus)).recordRunRequested(event);
    o.note?.(`run ${runId}: inputs in object store ${store.bucket} (${uploaded.length ? `uploaded ${uploaded.join(', ')}` : 'already there'})`);
  }
  const { schemaVersion: _v, ...input } = event;
  await bus.publish(SUBJECTS.runRequested, input, messageId(SUBJECTS.runRequested, runId));
  return { event, resubmitted: stored !== undefined, uploaded };
}

export interface FollowOptions {
  runId: string;
  /** Progress bars (a TTY) or a line every 10 s and the final block; nothing when undefined. */
  progress?: ProgressStream;
  timeoutMs?: number;
  /** performance.now() at the start (the stage times count from it); default now. */
  t0?: number;
  /** Lines for the summary's `restarted:` (the caller may add to it while following). */
  restarts?: string[];
  /** Polled every 0.5 s: a reason to stop following before the run ends (a service died, NATS lost). */
  stopReason?: () => string | undefined;
  /** Stop following at once (SIGINT/SIGTERM): the summary says the run was stopped, unfinished. */
  signal?: AbortSignal;
  /** The run's spec when the caller has it (just submitted); read from KV otherwise. */
  spec?: EventOf<'hls.run.requested'>;
}

/** Retry `f` through a NATS blip (a server restarting, a leader election) for up to `ms`. */
async function throughBlips<T>(f: () => Promise<T>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await f();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/**
 * Follow a run to its end: every event of the stream from its start (a resumed run counts its earlier
 * events too) for progress, the run ledger for the end (finished or failed). Returns the summary.
 */
export async function follow(bus: Bus, o: FollowOptions): Promise<RunSummary> {
  const { runId } = o;
  const t0 = o.t0 ?? performance.now();
  const spec = o.spec ?? (await throughBlips(() => storedRunSpec(bus, runId)));
  if (!spec) throw new Error(`run ${runId}: no such run (the run ledger has no request of it)`);
  const dsDir = datasetDir(spec.config.data_dir, spec.config.train_dataset_name);
  const ledger = await throughBlips(() => RunLedger.open(bus));
  const out = o.progress;
  let drawn = 0;
  let lastLine = '';
  let lastAt = 0;
  const draw = (lines: string[], final = false): void => {
    if (!out) return;
    if (out.isTTY) {
      if (drawn > 0) out.write(`\x1b[${drawn}A`);
      out.write(lines.map((l) => `\x1b[2K${l}\n`).join(''));
      drawn = lines.length;
    } else {
      // Not a terminal (CI, a log file): the whole block at the end, a changed chip line every 10 s.
      const line = lines[5] ?? '';
      if (final) out.write(lines.join('\n') + '\n');
      else if (line !== lastLine && performance.now() - lastAt > 10_000) {
        out.write(`${line}\n`);
        lastLine = line;
        lastAt = performance.now();
      }
    }
  };

  const tracker = new RunTracker(runId);
  const messages = await throughBlips(async () => (await bus.js.consumers.get(STREAMS.events.name)).consume());
  let settle: (() => void) | undefined;
  const finished = new Promise<void>((r) => (settle = r));
  // The ledger says when the run is finished; hls.dataset.built comes after every chip event in the
  // stream, so once the tracker has it too the summary counts every chip.
  let ledgerFinished: RunFinished | undefined;
  const settleWhenFinished = (): void => {
    if (ledgerFinished && tracker.datasetReady) settle?.();
  };
  let failedRun: string | undefined;
  let stopped: string | undefined;
  const poll = async (): Promise<void> => {
    const end = await ledger.runEnd(runId);
    if (end.expected !== null) tracker.expected = end.expected;
    if (end.finished) {
      ledgerFinished = end.finished;
      settleWhenFinished();
    }
    if (end.failed) {
      failedRun = end.failed.reason;
      settle?.();
    }
    const why = o.stopReason?.();
    if (why) {
      failedRun = why;
      settle?.();
    }
    draw(progressLines(tracker));
  };
  // hls.dataset.built is published just before the ledger records the run finished: once it is in, the ledger
  // is read every 20 ms until it says so, not only at the next progress tick (up to 0.5 s later).
  let ended = false;
  let watchingEnd = false;
  const watchEnd = async (): Promise<void> => {
    if (watchingEnd) return;
    watchingEnd = true;
    while (!ended && !ledgerFinished) {
      await poll().catch(() => undefined);
      if (!ledgerFinished) await new Promise((r) => setTimeout(r, 20));
    }
  };
  void (async () => {
    for await (const m of messages) {
      let ev: unknown;
      try {
        ev = m.json();
      } catch {
        continue;
      }
      tracker.add(m.subject, ev, performance.now() - t0);
      settleWhenFinished();
      if (tracker.datasetReady && !ledgerFinished) void watchEnd();
    }
  })();

  const onAbort = (): void => {
    stopped = String(o.signal?.reason ?? 'stopped');
    settle?.();
  };
  if (o.signal?.aborted) onAbort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const progressTimer = setInterval(() => void poll().catch(() => undefined), 500);
  const timeoutMs = o.timeoutMs ?? 30 * 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    settle?.();
  }, timeoutMs);
  try {
    await finished;
  } finally {
    ended = true;
    clearTimeout(timer);
    clearInterval(progressTimer);
    o.signal?.removeEventListener('abort', onAbort);
  }
  await poll().catch(() => undefined);
  draw(progressLines(tracker), true);
  messages.stop();
  return summarize(tracker, {
    seconds: (performance.now() - t0) / 1000,
    restarts: o.restarts ?? [],
    datasetDir: dsDir,
    ...(ledgerFinished ? { finished: ledgerFinished } : {}),
    ...(failedRun ? { failedRun } : {}),
    ...(stopped && !ledgerFinished ? { stopped } : {}),
    ...(timedOut ? { timedOut: timeoutMs } : {}),
  });
}
