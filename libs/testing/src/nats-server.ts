// An isolated nats-server for a test suite: NATS_URL when set; else the nats-server binary spawned on
// a free port with JetStream in a temp store dir; else testcontainers' NATS module when a Docker engine
// answers; else the suite fails, saying how to get one. Never a silent skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findNatsServerBinary, freePort } from '@hls/local-stack/nats-server';

// The product code's own lookups (the light subpath: no servers loaded), re-exported for the tests.
export { findNatsServerBinary, freePort };

export interface NatsHandle {
  url: string;
  /** How it was obtained: env, binary or container. */
  kind: 'env' | 'binary' | 'container';
  stop(): Promise<void>;
}

async function waitForPort(port: number, proc: ChildProcess, log: () => string): Promise<void> {
  const { connect } = await import('node:net');
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), r(true)));
      s.once('error', () => r(false));
    });
    if (ok && /Server is ready/.test(log())) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server did not start on port ${port}: ${log()}`);
}

/** Spawn nats-server with JetStream on a free port and a temp store dir. */
export async function spawnNatsServer(extraArgs: string[] = []): Promise<NatsHandle & { port: number; storeDir: string; process: ChildProcess }> {
  const bin = findNatsServerBinary();
  if (!bin) throw new Error('nats-server binary not found');
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), 'hls-nats-'));
  const proc = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await waitForPort(port, proc, () => out);
  return {
    url: `nats://127.0.0.1:${port}`,
    kind: 'binary',
    port,
    storeDir,
    process: proc,
    async stop() {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([done, new Promise((r) => setTimeout(r, 5000).unref())]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

function dockerEngineAnswers(): boolean {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 && r.stdout.trim().length > 0;
}

async function containerNats(): Promise<NatsHandle> {
  // testcontainers is optional: imported by name only where a Docker engine exists.
  const modName = '@testcontainers/nats';
  const mod = (await import(modName)) as {
    NatsContainer: new (image: string) => { withJetStream(): { start(): Promise<{ getConnectionOptions(): { servers: string }; stop(): Promise<unknown> }> } };
  };
  const c = await new mod.NatsContainer('nats:2.10').withJetStream().start();
  return { url: c.getConnectionOptions().servers, kind: 'container', stop: async () => void (await c.stop()) };
}

export async function startNats(): Promise<NatsHandle> {
  if (process.env.NATS_URL) return { url: process.env.NATS_URL, kind: 'env', stop: async () => {} };
  if (findNatsServerBinary()) return spawnNatsServer();
  if (dockerEngineAnswers()) {
    try {
      return await containerNats();
    } catch (e) {
      throw new Error(`a Docker engine answers but the NATS container did not start: ${(e as Error).message}`);
    }
  }
  throw new Error(
    'No NATS server for the tests: set NATS_URL to a JetStream-enabled server, or install nats-server ' +
      '(apt-get install -y nats-server, or put the binary on PATH / NATS_SERVER_BIN), or run a Docker engine for testcontainers.',
  );
}
