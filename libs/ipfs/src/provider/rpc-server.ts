// The subset of the Kubo RPC API (POST /api/v0/...) that kubo-rpc-client uses for cat, block get,
// block stat, id and version. Errors are Kubo-shaped: HTTP 500 {"Message", "Code", "Type": "error"}.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { BlockNotFoundError } from '../blockstore.ts';
import { parseCid } from '../cid.ts';
import { pipeChunks, tracked, type RequestStats } from './http-util.ts';
import type { ServedStore } from './served-store.ts';

export interface RpcIdentity {
  id: string;
  publicKey: string;
  addresses: string[];
}

export const PROVIDER_AGENT = 'hls-chips-ipfs-provider/0.1.0';
/** The Kubo version whose RPC shapes this endpoint follows. */
export const KUBO_COMPAT_VERSION = '0.38.0';

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}
const kuboError = (res: ServerResponse, message: string, status = 500): void => json(res, status, { Message: message, Code: 0, Type: 'error' });

export function rpcServer(store: ServedStore, stats: RequestStats, identity: () => RpcIdentity): Server {
  return createServer(
    tracked(stats, async (req, res, signal) => {
      const url = new URL(req.url ?? '/', 'http://rpc');
      if (req.method !== 'POST') return kuboError(res, `${req.method} not allowed: the RPC API takes POST`, 405);
      const cmd = url.pathname.replace(/^\/api\/v0\//, '');
      const arg = url.searchParams.get('arg');
      const needCid = () => {
        if (!arg) throw new Error('argument "cid" is required');
        return parseCid(arg);
      };
      try {
        switch (cmd) {
          case 'version':
            return json(res, 200, { Version: KUBO_COMPAT_VERSION, Commit: '', Repo: '16', System: `${process.arch}/${process.platform}`, Golang: PROVIDER_AGENT });
          case 'id': {
            const me = identity();
            return json(res, 200, {
              ID: me.id,
              PublicKey: me.publicKey,
              Addresses: me.addresses,
              AgentVersion: PROVIDER_AGENT,
              Protocols: ['/ipfs/bitswap/1.2.0', '/ipfs/id/1.0.0'],
            });
          }
          case 'block/get': {
            const bytes = await store.getBlock(needCid(), signal);
            res.writeHead(200, { 'content-type': 'text/plain', 'content-length': bytes.length });
            return void res.end(bytes);
          }
          case 'block/stat': {
            const cid = needCid();
            const bytes = await store.getBlock(cid, signal);
            return json(res, 200, { Key: cid.toString(), Size: bytes.length });
          }
          case 'cat': {
            const cid = needCid();
            const offset = Number(url.searchParams.get('offset') ?? 0);
            const lenParam = url.searchParams.get('length');
            const length = lenParam === null ? Infinity : Number(lenParam);
            await store.getBlock(cid, signal);
            res.writeHead(200, { 'content-type': 'text/plain', 'x-stream-output': '1' });
            return void (await pipeChunks(res, slice(store.fileBytes(cid, signal), offset, length)));
          }
          default:
            return kuboError(res, `command not found: ${cmd} (this endpoint serves cat, block/get, block/stat, id, version)`, 404);
        }
      } catch (e) {
        if (res.headersSent) throw e;
        if (e instanceof BlockNotFoundError) return kuboError(res, `block was not found locally (offline): ipld: could not find ${e.cid}`);
        return kuboError(res, e instanceof Error ? e.message : String(e));
      }
    }),
  );
}

async function* slice(chunks: AsyncIterable<Uint8Array>, offset: number, length: number): AsyncGenerator<Uint8Array> {
  let pos = 0;
  let left = length;
  for await (const c of chunks) {
    const start = Math.max(0, offset - pos);
    pos += c.length;
    if (start >= c.length) continue;
    const part = c.subarray(start, start + Math.min(c.length - start, left));
    left -= part.length;
    if (part.length > 0) yield part;
    if (left <= 0) return;
  }
}
