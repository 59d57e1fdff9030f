// Trustless gateway (IPFS HTTP Gateway spec subset): GET/HEAD /ipfs/<cid> with ?format=raw or
// Accept: application/vnd.ipld.raw for one block, ?format=car / application/vnd.ipld.car for the whole
// DAG as a CARv1, and the plain file bytes otherwise.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CarWriter } from '@ipld/car/writer';
import { BlockNotFoundError } from '../blockstore.ts';
import { parseCid } from '../cid.ts';
import { CAR_MEDIA_TYPE, RAW_BLOCK_MEDIA_TYPE } from '../sources/gateway.ts';
import { pipeChunks, tracked, type RequestStats } from './http-util.ts';
import type { ServedStore } from './served-store.ts';

function wants(req: IncomingMessage, url: URL): 'raw' | 'car' | 'file' {
  const format = url.searchParams.get('format');
  const accept = req.headers.accept ?? '';
  if (format === 'raw' || accept.includes(RAW_BLOCK_MEDIA_TYPE)) return 'raw';
  if (format === 'car' || accept.includes(CAR_MEDIA_TYPE)) return 'car';
  return 'file';
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${body}\n`);
}

export function gatewayServer(store: ServedStore, stats: RequestStats): Server {
  return createServer(
    tracked(stats, async (req, res, signal) => {
      const url = new URL(req.url ?? '/', 'http://gateway');
      if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, `method ${req.method} not allowed`);
      const m = /^\/ipfs\/([^/]+)\/?$/.exec(url.pathname);
      if (!m?.[1]) return text(res, 404, `not found: ${url.pathname} (expected /ipfs/<cid>)`);
      let cid;
      try {
        cid = parseCid(m[1]);
      } catch (e) {
        return text(res, 400, (e as Error).message);
      }
      const id = cid.toString();
      const common = { 'cache-control': 'public, max-age=29030400, immutable', 'x-content-type-options': 'nosniff', 'x-ipfs-path': `/ipfs/${id}` };
      try {
        const kind = wants(req, url);
        if (kind === 'raw') {
          const bytes = await store.getBlock(cid, signal);
          res.writeHead(200, { ...common, 'content-type': RAW_BLOCK_MEDIA_TYPE, 'content-length': bytes.length, etag: `"${id}.raw"` });
          res.end(req.method === 'HEAD' ? undefined : bytes);
          return;
        }
        if (kind === 'car') {
          // Check the root first so a missing root is a clean 404, not a broken stream.
          await store.getBlock(cid, signal);
          res.writeHead(200, { ...common, 'content-type': `${CAR_MEDIA_TYPE}; version=1`, etag: `"${id}.car"` });
          if (req.method === 'HEAD') return void res.end();
          const { writer, out } = CarWriter.create([cid]);
          const feed = (async () => {
            try {
              for await (const b of store.blocks(cid, signal)) await writer.put(b);
            } finally {
              await writer.close();
            }
          })();
          await pipeChunks(res, out);
          await feed;
          return;
        }
        const size = await store.fileSize(cid);
        res.writeHead(200, { ...common, 'content-type': 'application/octet-stream', 'content-length': size, etag: `"${id}"` });
        if (req.method === 'HEAD') return void res.end();
        await pipeChunks(res, store.fileBytes(cid, signal));
      } catch (e) {
        if (e instanceof BlockNotFoundError && !res.headersSent) return text(res, 404, `block not found: ${e.cid}`);
        throw e;
      }
    }),
  );
}
