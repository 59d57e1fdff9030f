// /healthz (process alive), /readyz (connected and consuming) and /metrics on one small HTTP server.
import { createServer, type Server } from 'node:http';
import type { ServiceMetrics } from './metrics.ts';

export interface HealthServer {
  port: number;
  /** The address it listens on. */
  host: string;
  close(): Promise<void>;
}

/** Loopback unless the config says otherwise (health_host: 0.0.0.0 in a container). */
export const DEFAULT_HEALTH_HOST = '127.0.0.1';

export async function startHealthServer(opts: { port: number; host?: string; ready: () => boolean; metrics: ServiceMetrics }): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === '/readyz') {
      const ok = opts.ready();
      return void res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not ready\n');
    }
    if (path === '/metrics') {
      opts.metrics.render().then(
        (text) => void res.writeHead(200, { 'content-type': opts.metrics.contentType }).end(text),
        (e: unknown) => void res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics: ${e instanceof Error ? e.message : String(e)}\n`),
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? DEFAULT_HEALTH_HOST, () => resolve());
  });
  const a = server.address();
  return { port: typeof a === 'object' && a ? a.port : opts.port, host: typeof a === 'object' && a ? a.address : (opts.host ?? DEFAULT_HEALTH_HOST), close: () => new Promise((r) => server.close(() => r())) };
}
