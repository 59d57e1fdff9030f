// DEFLATE through node:zlib instead of geotiff.js's pako inflate (several times faster).
// Registered once, on first import of the reader, for compression 8 and 32946 (Adobe/old deflate).
import { inflateSync } from 'node:zlib';
import { BaseDecoder, addDecoder } from 'geotiff';

class ZlibDeflateDecoder extends BaseDecoder {
  override decodeBlock(buffer: ArrayBufferLike): ArrayBufferLike {
    const out = inflateSync(new Uint8Array(buffer));
    // A fresh ArrayBuffer holding exactly the decoded bytes (zlib may hand back a pooled slice).
    return out.byteOffset === 0 && out.byteLength === out.buffer.byteLength
      ? out.buffer
      : out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength);
  }
}

let registered = false;
export function registerZlibDecoder(): void {
  if (registered) return;
  // preferWorker=false: we decode in the calling thread (our own workers parallelise whole warps).
  addDecoder([8, 32946], () => Promise.resolve(ZlibDeflateDecoder), undefined, false);
  registered = true;
}
