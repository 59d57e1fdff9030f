// Trustless gateway (IPFS HTTP Gateway spec subset): GET/HEAD /ipfs/<cid> with ?format=raw or
// Accept: application/vnd.ipld.raw for one block, ?format=car / application/vnd.ipld.car for a CARv1, and
// the plain file bytes otherwise. CARs take `dag-scope` (all, the default: the whole DAG; entity: the
// blocks of the file; block: the root only) and `entity-bytes=from:to` (implies entity: only the blocks
// needed to verify and read that byte range of a file; `to` inclusive or `*`, negatives from the end).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CarWriter } from '@ipld/car/writer';
import { BlockNotFoundError } from '../blockstore.ts';
import { parseCid, type CID } from '../cid.ts';
import { CAR_MEDIA_TYPE, RAW_BLOCK_MEDIA_TYPE } from '../sources/gateway.ts';
import { pipeChunks, tracked, type RequestStats } from './http-util.ts';
import { ServedStore } from './served-store.ts';

function wants(req: IncomingMessage, url: URL): 'raw' | 'car' | 'file' {
  const format = url.searchParams.get('format');
  const accept = req.headers.accept ?? '';
  if (format === 'raw' || accept.includes(RAW_BLOCK_MEDIA_TYPE)) return 'raw';
  if (format === 'car' || accept.includes(CAR_MEDIA_TYPE)) return 'car';
  return 'file';
}

/** What a CAR answer holds; a string is the 400 message for a malformed parameter. */
type CarScope = { scope: 'all' } | { scope: 'block' } | { scope: 'entity'; bytes?: { from: number; to: number | '*'; spec: string } };

export function carScope(url: URL): CarScope | string {
  const scope = url.searchParams.get('dag-scope');
  const eb = url.searchParams.get('entity-bytes');
  if (scope !== null && scope !== 'all' && scope !== 'entity' && scope !== 'block') return `dag-scope must be block, entity or all, got '${scope}'`;
  if (eb === null) return scope === 'entity' ? { scope: 'entity' } : scope === 'block' ? { scope: 'block' } : { scope: 'all' };
  // entity-bytes implies dag-scope=entity.
  const m = /^(-?\d{1,15}):(-?\d{1,15}|\*)$/.exec(eb);
  if (!m) return `entity-bytes must be from:to (integers, to may be *), got '${eb}'`;
  return { scope: 'entity', bytes: { from: Number(m[1]), to: m[2] === '*' ? '*' : Number(m[2]), spec: eb } };
}

/** entity-bytes against a file of `size` bytes: an inclusive range, 'empty' (root only) or a 400 message. */
export function resolveEntityBytes(b: { from: number; to: number | '*'; spec: string }, size: number): { from: number; to: number } | 'empty' | { bad: string } {
  const from = b.from < 0 ? Math.max(0, size + b.from) : b.from;
  const to = b.to === '*' ? size - 1 : b.to < 0 ? size + b.to : Math.min(b.to, size - 1);
  if (from >= size && size > 0) return { bad: `entity-bytes=${b.spec} starts past the end of the ${size}-byte file` };
  return to < from ? 'empty' : { from, to };
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
          const scope = carScope(url);
          if (typeof scope === 'string') return text(res, 400, scope);
          // Fetch the root first so a missing root is a clean 404, not a broken stream.
          const rootBytes = await store.getBlock(cid, signal);
          let blocks: AsyncIterable<{ cid: CID; bytes: Uint8Array }>;
          let etag = `"${id}.car"`;
          let type = `${CAR_MEDIA_TYPE}; version=1`;
          if (scope.scope === 'all') {
            blocks = store.blocks(cid, signal);
          } else {
            type = `${CAR_MEDIA_TYPE}; version=1; order=dfs; dups=n`;
            etag = `"${id}.car.${scope.scope}"`;
            let range: { from: number; to: number } | 'empty' | undefined;
            const what = ServedStore.describe(cid, rootBytes);
            // entity-bytes of something that is no file (a directory) is ignored, as the spec says.
            if (scope.scope === 'entity' && scope.bytes && what.kind === 'file') {
              const r = resolveEntityBytes(scope.bytes, what.size);
              if (typeof r === 'object' && 'bad' in r) return text(res, 400, r.bad);
              range = r;
              etag = `"${id}.car.entity.${scope.bytes.spec}"`;
            }
            // dag-scope=block, and an empty range, is the root alone.
            blocks = scope.scope === 'block' || range === 'empty' ? oneBlock(cid, rootBytes) : store.entityBlocks(cid, rootBytes, range, signal);
          }
          res.writeHead(200, { ...common, 'content-type': type, etag });
          if (req.method === 'HEAD') return void res.end();
          return void (await pipeCar(res, cid, blocks));
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

/**
 * Stream a CARv1 of `blocks`. A block that fails mid-stream (a missing-block fault) breaks the response
 * instead of ending it: a cleanly ended CAR would look whole to a client that does not walk it.
 */
async function pipeCar(res: ServerResponse, root: CID, blocks: AsyncIterable<{ cid: CID; bytes: Uint8Array }>): Promise<void> {
  const { writer, out } = CarWriter.create([root]);
  const feed = (async () => {
    try {
      for await (const b of blocks) await writer.put(b);
    } finally {
      await writer.close();
    }
  })().then(
    () => undefined,
    (e: unknown) => ({ e }),
  );
  await pipeChunks(
    res,
    (async function* () {
      yield* out;
      const failed = await feed;
      // Thrown before pipeChunks ends the response: tracked() destroys a response whose headers are out.
      if (failed) throw failed.e;
    })(),
  );
}

async function* oneBlock(cid: CID, bytes: Uint8Array): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
  yield { cid, bytes };
}
