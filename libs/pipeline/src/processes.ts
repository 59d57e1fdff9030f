// --processes: every service in its own child process (by default the app's own entry,
// `node apps/<service>/src/main.ts --config <yaml>`, as its Deployment runs it), with replicas sharing
// the service's durable consumer.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { natsSecretEnv } from '@hls/config';
import { SERVICES, withoutSecrets, type Config, type ServiceName } from '@hls/contracts';
import { stringify } from 'yaml';

export interface ServiceChild {
  service: ServiceName;
  replica: number;
  process: ChildProcess;
  logFile: string;
}

export interface ServiceProcesses {
  /** The live child of every service replica (a restarted replica replaces its entry). */
  children: ServiceChild[];
  /** Replicas that died on their own and were started again, as a Deployment would. */
  restarts: Array<{ service: ServiceName; replica: number; pid: number | undefined; how: string }>;
  /** Set when a replica keeps dying (more than maxRestarts): which and how. */
  exited: string | undefined;
  stop(): Promise<void>;
}

export interface StartProcessesOptions {
  config: Config;
  yamlFile: string;
  /** The node arguments that start one service; `--config <yaml>` is appended. */
  argv: (service: ServiceName) => string[];
  replicas: Partial<Record<ServiceName, number>>;
  logDir: string;
  /** Restarts per replica before the run is given up (default 3). */
  maxRestarts?: number;
  /** Where the children's pids are kept, so a restart after the parent was killed -9 can end the orphans. */
  pidFile?: string;
  /** Called when a replica died and was restarted. */
  onRestart?: (service: ServiceName, replica: number, how: string) => void;
}

/**
 * Children get the environment minus HLS_* keys (the YAML is the whole config) and NATS_* overrides,
 * plus the NATS credentials of the config (NATS_USER, NATS_PASSWORD, NATS_TOKEN): never in the YAML.
 */
function childEnv(config: Config): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HLS_') && !k.startsWith('NATS_')) env[k] = v;
  return { ...env, ...natsSecretEnv(config) };
}

/** A file holding configuration: readable by its owner only (0600, also when it was there before). */
export function writePrivateFile(path: string, text: string): void {
  writeFileSync(path, '', { mode: 0o600 });
  chmodSync(path, 0o600);
  writeFileSync(path, text);
}

const PARENT_WATCH = pathToFileURL(join(import.meta.dirname, 'parent-watch.ts')).href;

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

/**
 * End the service children a killed parent left running (they would keep consuming next to the new
 * ones). Only pids from our pid file whose command line still names our config file are signalled.
 */
export async function endOrphans(pidFile: string): Promise<number[]> {
  if (!existsSync(pidFile)) return [];
  const rec = JSON.parse(readFileSync(pidFile, 'utf8')) as { yamlFile: string; pids: number[] };
  const ours = rec.pids.filter((pid) => cmdline(pid).includes(rec.yamlFile));
  for (const pid of ours) process.kill(pid, 'SIGTERM');
  const until = Date.now() + 15_000;
  while (ours.some((pid) => cmdline(pid).includes(rec.yamlFile)) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  for (const pid of ours) if (cmdline(pid).includes(rec.yamlFile)) process.kill(pid, 'SIGKILL');
  return ours;
}

export async function startServiceProcesses(o: StartProcessesOptions): Promise<ServiceProcesses> {
  // Replicas on one machine: health ports picked by the OS, never a fixed one twice.
  writePrivateFile(o.yamlFile, stringify(withoutSecrets({ ...o.config, health_port: 0 })));
  mkdirSync(o.logDir, { recursive: true });
  const children: ServiceChild[] = [];
  const restarts: ServiceProcesses['restarts'] = [];
  const state: { exited: string | undefined; stopping: boolean } = { exited: undefined, stopping: false };
  const maxRestarts = o.maxRestarts ?? 3;
  const launch = (service: ServiceName, replica: number, slot: number): void => {
    const logFile = join(o.logDir, `${service}-${replica}.log`);
    const fd = openSync(logFile, 'a');
    const p = spawn(process.execPath, ['--import', PARENT_WATCH, ...o.argv(service), '--config', o.yamlFile], {
      stdio: ['ignore', fd, fd],
      env: { ...childEnv(o.config), LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
    });
    closeSync(fd);
    p.once('exit', (code, sig) => {
      if (state.stopping || state.exited) return;
      const how = `service ${service} (replica ${replica}, pid ${p.pid}) exited with ${sig ?? code}; see ${logFile}`;
      const mine = restarts.filter((r) => r.service === service && r.replica === replica).length;
      if (mine >= maxRestarts) {
        state.exited = `${how} (after ${mine} restarts)`;
        return;
      }
      // Its unacked messages are redelivered after the ack wait, to this new replica or another.
      restarts.push({ service, replica, pid: p.pid, how });
      o.onRestart?.(service, replica, how);
      launch(service, replica, slot);
    });
    children[slot] = { service, replica, process: p, logFile };
    if (o.pidFile) writeFileSync(o.pidFile, JSON.stringify({ yamlFile: o.yamlFile, pids: children.map((c) => c.process.pid).filter((x) => x !== undefined) }));
  };
  for (const service of SERVICES) {
    const n = o.replicas[service] ?? 1;
    for (let replica = 0; replica < n; replica++) launch(service, replica, children.length);
  }
  return {
    children,
    restarts,
    get exited() {
      return state.exited;
    },
    async stop() {
      state.stopping = true;
      const live = children.filter((c) => c.process.exitCode === null && c.process.signalCode === null);
      await Promise.all(
        live.map(
          (c) =>
            new Promise<void>((resolve) => {
              const t = setTimeout(() => {
                c.process.kill('SIGKILL');
                resolve();
              }, 15_000);
              c.process.once('exit', () => {
                clearTimeout(t);
                resolve();
              });
              c.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
