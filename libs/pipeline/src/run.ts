// runPipeline: one run end to end from one command. Attach to NATS (NATS_URL / the config) or start a
// private nats-server under the data dir, run the 8 services (in this process, or each in its own
// child process with replicas), submit the run to them as `hls-chips submit` does (inputs to the object
// store, hls.run.requested), follow it, and return the summary once the run ledger records the run
// finished (or failed, or it timed out, or SIGINT/SIGTERM stopped it). On every one of those ends the
// services and the private nats-server are stopped; only a killed process leaves the server for the resume.
import { openSync, closeSync, mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Bus } from '@hls/bus';
import { datasetDir, type Config, type ServiceName } from '@hls/contracts';
import { processMetrics, startHealthServer, startServices, type HealthServer, type RunningServices, type ServiceDefinition } from '@hls/runtime';
import { createLogger, startTelemetry, type Logger } from '@hls/telemetry';
import { startPrivateNats, type PrivateNats } from '@hls/local-stack';
import { endOrphans, startServiceProcesses, type ServiceProcesses } from './processes.ts';
import { follow, newRunId, submitRun } from './submit.ts';
import type { RunSummary } from './summary.ts';
import { sweepStaleTemps } from './sweep.ts';

export interface ProcessMode {
  /** The node arguments that start one service (`apps/<name>/src/main.ts`); `--config <yaml>` is appended. */
  argv: (service: ServiceName) => string[];
  replicas?: Partial<Record<ServiceName, number>>;
}

export interface PipelineOptions {
  config: Config;
  /** The chip payload and grid to upload (default: the config's chip_payload_filename and grid_kml). */
  chipPayload?: string;
  gridKml?: string;
  /** The 8 service definitions (and how to close their resources) for in-process mode. */
  services: Array<{ def: ServiceDefinition; stop: () => Promise<void> }>;
  /** Each service in its own process instead. */
  processes?: ProcessMode;
  /** 'private' (default unless NATS_URL is set): a nats-server under <data_dir>/nats; 'config': config.nats.url. */
  nats?: 'private' | 'config';
  /** Run id; default: resume the unfinished run recorded under <data_dir>/runs/<label>.json, else a new one. */
  runId?: string;
  /** Label of the run record file (demo / run). */
  label?: string;
  /** Resume the unfinished run of the record (default true); false starts a new run. */
  resume?: boolean;
  timeoutMs?: number;
  /** Progress output (stderr in the CLI); nothing when undefined. */
  progress?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Service logs go here (default <data_dir>/logs/<label>.log). */
  logFile?: string;
  /** Extra lines printed before the progress (world, servers). */
  notes?: string[];
  /** In-process runs: called with the health/metrics server once the run has ended, before it closes (tests scrape it). */
  beforeHealthClose?: (health: HealthServer) => Promise<void>;
}

export interface PipelineResult extends RunSummary {
  resumed: boolean;
}

interface RunRecord {
  runId: string;
  done: boolean;
}

/** The unfinished run recorded under `<data_dir>/runs/<label>.json`, if any (what a restart resumes). */
export function unfinishedRun(dataDir: string, label: string): string | undefined {
  const recFile = join(resolve(dataDir), 'runs', `${label}.json`);
  if (!existsSync(recFile)) return undefined;
  const rec = JSON.parse(readFileSync(recFile, 'utf8')) as RunRecord;
  return rec.done ? undefined : rec.runId;
}

export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const cfg = o.config;
  const dataDir = resolve(cfg.data_dir);
  const label = o.label ?? 'run';
  const runsDir = join(dataDir, 'runs');
  mkdirSync(runsDir, { recursive: true });
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  const recFile = join(runsDir, `${label}.json`);
  const prev = existsSync(recFile) ? (JSON.parse(readFileSync(recFile, 'utf8')) as RunRecord) : undefined;
  const resumed = !o.runId && (o.resume ?? true) && prev !== undefined && !prev.done;
  const runId = o.runId ?? (resumed && prev ? prev.runId : newRunId(label));
  writeFileSync(recFile, JSON.stringify({ runId, done: false } satisfies RunRecord));

  const t0 = performance.now();
  const logFile = o.logFile ?? join(dataDir, 'logs', `${label}.log`);
  const logFd = openSync(logFile, 'a');
  const log: Logger = createLogger({ name: label, level: process.env.LOG_LEVEL ?? 'info', pretty: false, fd: logFd });
  // Every run mode traces as the services do (OTEL_* decide where spans go); --processes children start their own.
  const telemetry = startTelemetry(`hls-chips-${label}`);

  const natsMode = o.nats ?? (process.env.NATS_URL ? 'config' : 'private');
  let nats: PrivateNats | undefined;
  let services: RunningServices | undefined;
  let health: HealthServer | undefined;
  let procs: ServiceProcesses | undefined;
  let bus: Bus | undefined;
  const out = o.progress;
  const note = (s: string): void => void out?.write(`${s}\n`);
  const restartNotes: string[] = [];
  // Set when the private nats-server died and could not be started again: the run ends, resumable.
  let natsLost: string | undefined;
  let stopWatching: (() => void) | undefined;
  // SIGINT/SIGTERM end the run cleanly: services and the private nats-server are stopped (the finally
  // below), so nothing is left running; the run stays unfinished and the same command resumes it.
  const interrupt = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => interrupt.abort(`${sig}: the run is unfinished; the same command resumes it`);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const n of o.notes ?? []) note(n);
    if (natsMode === 'private') {
      nats = await startPrivateNats(join(dataDir, 'nats'));
      note(`nats: ${nats.url} (${nats.reused ? 'reused the server of an interrupted run' : 'private nats-server'}, store ${join(dataDir, 'nats')})`);
      stopWatching = nats.watch(
        (line) => {
          note(line);
          if (/ stopped; /.test(line)) restartNotes.push(line.replace(/^nats: /, ''));
        },
        (reason) => {
          natsLost = reason;
        },
      );
    }
    const config: Config = { ...cfg, data_dir: dataDir, nats: { ...cfg.nats, ...(nats ? { url: nats.url } : {}) } };
    const swept = await sweepStaleTemps(datasetDir(dataDir, config.train_dataset_name));
    if (swept.length > 0) note(`removed ${swept.length} temp file(s) left by a killed process`);
    bus = await Bus.connect({ nats: config.nats, name: `hls-chips ${label}`, log });
    await bus.ensureTopology();

    // Service children of a --processes run whose parent was killed -9 would go on consuming.
    const pidFile = join(runsDir, `${label}.children.json`);
    const orphans = await endOrphans(pidFile);
    if (orphans.length > 0) note(`ended ${orphans.length} service process(es) left by a killed run`);
    if (o.processes) {
      const yamlFile = join(runsDir, `${runId}.config.yaml`);
      procs = await startServiceProcesses({
        pidFile,
        config,
        yamlFile,
        argv: o.processes.argv,
        replicas: o.processes.replicas ?? {},
        logDir: join(dataDir, 'logs', runId),
        onRestart: (_s, _r, how) => {
          log.warn(`${how}: restarted`);
          restartNotes.push(how);
        },
      });
      note(`services: ${procs.children.length} processes (logs in ${join(dataDir, 'logs', runId)})`);
    } else {
      services = await startServices(
        o.services.map((s) => s.def),
        { config, log, healthPort: false },
      );
      note(`services: ${o.services.length} in this process (log ${logFile})`);
      // One health and metrics endpoint for the process and all its services; a taken port costs the
      // endpoint, not the run.
      const running = services;
      try {
        health = await startHealthServer({ port: config.health_port, host: config.health_host, ready: () => !running.bus.nc.isClosed(), metrics: processMetrics() });
        note(`metrics: http://${config.health_host}:${health.port}/metrics`);
      } catch (e) {
        note(`metrics: none: cannot serve on ${config.health_host}:${config.health_port}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (telemetry.exporting) {
      note(`traces: exported over OTLP (one trace per tile, and one for the run)`);
    }

    // The same submit as `hls-chips submit` against deployed services: inputs to the object store, then the request.
    const { event } = await submitRun({ bus, config, runId, files: { ...(o.chipPayload ? { chipPayload: o.chipPayload } : {}), ...(o.gridKml ? { gridKml: o.gridKml } : {}) }, note: (l) => log.info(l) });
    note(`run ${runId}${resumed ? ' (resumed)' : ''}: ${resolve(o.chipPayload ?? config.chip_payload_filename ?? '')}`);

    const summary = await follow(bus, {
      runId,
      spec: event,
      t0,
      restarts: restartNotes,
      signal: interrupt.signal,
      stopReason: () => procs?.exited ?? natsLost,
      ...(out ? { progress: out } : {}),
      ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
    });
    writeFileSync(recFile, JSON.stringify({ runId, done: summary.complete } satisfies RunRecord));
    writeFileSync(join(runsDir, `${runId}.summary.json`), `${JSON.stringify(summary, null, 1)}\n`);
    return { ...summary, resumed };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopWatching?.();
    // Every step runs even when an earlier one fails: a nats-server or child must never be left behind.
    const quietly = async (f: () => Promise<unknown> | undefined): Promise<void> => {
      try {
        await f();
      } catch (e) {
        log.warn({ err: e }, 'while shutting down');
      }
    };
    const h = health;
    if (h && o.beforeHealthClose) await quietly(() => o.beforeHealthClose?.(h));
    await quietly(() => h?.close());
    await quietly(() => procs?.stop());
    await quietly(() => services?.stop(10_000));
    for (const s of o.services) await quietly(() => s.stop());
    await quietly(() => telemetry.flush());
    await quietly(() => bus?.close());
    await quietly(() => nats?.stop());
    closeSync(logFd);
  }
}
