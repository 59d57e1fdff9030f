// One raster block through zlib: small blocks synchronously, large ones on libuv's thread pool. An async
// zlib call costs the calling thread about 0.3 ms whatever the size (a stream and its handle are made per
// call), more than deflating or inflating a 32 KiB block outright (0.1-0.2 ms); from about 64 KiB the pool's
// parallelism wins (measured on this project's 2-core machine, Node 22). In a worker thread all blocks are
// done on the thread: the warp pools run a thread per core, so the pool has no idle core to lend and each
// async call would only add its cost (the demo world's chips mode: about 0.5-1 s less CPU, tiles mode unchanged).
import { promisify } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import { constants as zlibConstants, deflate as deflateCb, deflateSync, inflate as inflateCb, inflateSync, type ZlibOptions } from 'node:zlib';

const deflateAsync = promisify(deflateCb);
const inflateAsync = promisify(inflateCb);

/** Blocks of at most this many (uncompressed) bytes are compressed and decompressed on the calling thread (every block, in a worker thread). */
export const SYNC_ZLIB_BYTES = isMainThread ? 64 * 1024 : Infinity;

/**
 * DEFLATE (zlib format) of one block. The async call finishes the stream on its one write, as the sync call
 * does: otherwise zlib gives back what it flushed on the write and the rest on the finish, two pieces that
 * Node then copies into one buffer (the same bytes, a copy of every block).
 */
export function deflateBlock(raw: Uint8Array, options: ZlibOptions): Buffer | Promise<Buffer> {
  return raw.byteLength <= SYNC_ZLIB_BYTES ? deflateSync(raw, options) : deflateAsync(raw, { ...options, flush: zlibConstants.Z_FINISH });
}

/** One block back from DEFLATE; `size` is its uncompressed size. */
export function inflateBlock(compressed: Uint8Array, size: number, options: ZlibOptions): Buffer | Promise<Buffer> {
  return size <= SYNC_ZLIB_BYTES ? inflateSync(compressed, options) : inflateAsync(compressed, options);
}
