import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Requests in flight over the provider's servers (tests check the client's concurrency limit with it). */
export class RequestStats {
  inFlight = 0;
  peak = 0;
  total = 0;
  enter(): void {
    this.inFlight++;
    this.total++;
    this.peak = Math.max(this.peak, this.inFlight);
  }
  leave(): void {
    this.inFlight--;
  }
  resetPeak(): void {
    this.peak = this.inFlight;
  }
}

export function tracked(
  stats: RequestStats,
  handler: (req: IncomingMessage, res: ServerResponse, signal: AbortSignal) => Promise<void>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    stats.enter();
    const ctrl = new AbortController();
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      stats.leave();
    };
    res.on('close', () => {
      if (!res.writableFinished) ctrl.abort(new Error('client went away'));
      finish();
    });
    handler(req, res, ctrl.signal).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(e instanceof Error ? e.message : String(e));
      } else res.destroy(e instanceof Error ? e : undefined);
    });
  };
}

export function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const a = server.address() as AddressInfo;
      resolve(`http://${host}:${a.port}`);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Write an async iterable of chunks to a response, honouring back-pressure. */
export async function pipeChunks(res: ServerResponse, chunks: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const c of chunks) {
    if (!res.write(c)) await new Promise<void>((r) => res.once('drain', () => r()));
  }
  res.end();
}
