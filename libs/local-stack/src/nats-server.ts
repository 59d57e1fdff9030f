// Where the nats-server binary is, and a free TCP port on 127.0.0.1 to start it (or another local server) on.
// Imported alone as @hls/local-stack/nats-server (the test helpers do) without loading the servers.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

const CANDIDATES = [process.env.NATS_SERVER_BIN, '/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

/** NATS_SERVER_BIN, the usual install paths, then PATH; undefined when there is none. */
export function findNatsServerBinary(): string | undefined {
  for (const c of CANDIDATES) if (c && existsSync(c)) return c;
  const w = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  return w.status === 0 ? w.stdout.trim() || undefined : undefined;
}
