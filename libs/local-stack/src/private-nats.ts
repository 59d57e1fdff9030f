// A private nats-server for one-process runs, with its JetStream store under the data dir so a run
// killed half way resumes from the same streams, consumers and KV state. The server's pid and URL are
// kept in `<storeDir>/server.json`: a restart after a crash (kill -9 leaves the child running) reuses
// that very server instead of starting a second one on the same store.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, readFileSync, writeFileSync, rmSync, openSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { findNatsServerBinary, freePort } from './nats-server.ts';

interface ServerRecord {
  pid: number;
  url: string;
  port: number;
}

/** Whether a process with this pid exists (signal 0 checks without sending; EPERM: it exists, not ours). */
export const processExists = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
};

/** Is this pid a nats-server (so we never signal an unrelated process that reused the pid)? */
function isNatsServer(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('nats-server');
  } catch {
    return false;
  }
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function stopPid(pid: number): Promise<void> {
  if (!processExists(pid) || !isNatsServer(pid)) return;
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + 5000;
  while (processExists(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  if (processExists(pid)) process.kill(pid, 'SIGKILL');
}

export interface PrivateNats {
  url: string;
  /** The server's pid (a new one after a restart). */
  readonly pid: number;
  /** True when a server left by an earlier (killed) run was reused. */
  reused: boolean;
  /**
   * Watch the server: when it dies, start it again on the same store and port (clients reconnect to the same
   * URL and JetStream resumes from its store), telling `say` in one line; `onLost` when it cannot be restarted.
   * Returns the function that stops watching.
   */
  watch(say: (line: string) => void, onLost: (reason: string) => void, intervalMs?: number): () => void;
  stop(): Promise<void>;
}

/** Spawn nats-server on `port` over the store and wait until it listens. */
async function spawnServer(bin: string, port: number, storeDir: string): Promise<number> {
  const logFd = openSync(join(storeDir, 'nats-server.log'), 'a');
  // Detached with its own log: it outlives a killed parent, and the next run reuses it (startPrivateNats).
  const proc = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(storeDir, 'jetstream')], { stdio: ['ignore', logFd, logFd], detached: true });
  proc.unref();
  closeSync(logFd);
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`nats-server (${bin}) did not start`);
  const until = Date.now() + 15_000;
  while (!(await portAnswers(port))) {
    if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}; see ${join(storeDir, 'nats-server.log')}`);
    if (Date.now() > until) throw new Error(`nats-server did not listen on 127.0.0.1:${port}; see ${join(storeDir, 'nats-server.log')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return pid;
}

function privateNats(storeDir: string, rec: ServerRecord, reused: boolean): PrivateNats {
  const recFile = join(storeDir, 'server.json');
  let pid = rec.pid;
  let stopped = false;
  return {
    url: rec.url,
    get pid() {
      return pid;
    },
    reused,
    watch(say, onLost, intervalMs = 1000) {
      let busy = false;
      const timer = setInterval(() => {
        if (busy || stopped || (processExists(pid) && isNatsServer(pid))) return;
        busy = true;
        const bin = findNatsServerBinary();
        say(`nats: the private nats-server (pid ${pid}) stopped; starting it again on the same store and port ${rec.port}`);
        (async () => {
          if (!bin) throw new Error('nats-server is no longer installed');
          pid = await spawnServer(bin, rec.port, storeDir);
          writeFileSync(recFile, JSON.stringify({ ...rec, pid } satisfies ServerRecord));
          say(`nats: restarted (pid ${pid}); the run goes on`);
        })()
          .catch((e: unknown) => {
            clearInterval(timer);
            onLost(`the private nats-server stopped and could not be restarted: ${e instanceof Error ? e.message : String(e)}`);
          })
          .finally(() => (busy = false));
      }, intervalMs);
      timer.unref();
      return () => clearInterval(timer);
    },
    stop: async () => {
      stopped = true;
      await stopPid(pid);
      rmSync(recFile, { force: true });
    },
  };
}

export async function startPrivateNats(storeDir: string): Promise<PrivateNats> {
  mkdirSync(storeDir, { recursive: true });
  const recFile = join(storeDir, 'server.json');
  if (existsSync(recFile)) {
    const rec = JSON.parse(readFileSync(recFile, 'utf8')) as ServerRecord;
    if (processExists(rec.pid) && isNatsServer(rec.pid) && (await portAnswers(rec.port))) return privateNats(storeDir, rec, true);
    rmSync(recFile, { force: true });
  }
  const bin = findNatsServerBinary();
  if (!bin) throw new Error('nats-server not found: install it (apt-get install -y nats-server), put it on PATH or NATS_SERVER_BIN, or set NATS_URL to a JetStream server');
  const port = await freePort();
  const pid = await spawnServer(bin, port, storeDir);
  const rec: ServerRecord = { pid, url: `nats://127.0.0.1:${port}`, port };
  writeFileSync(recFile, JSON.stringify(rec));
  return privateNats(storeDir, rec, false);
}
