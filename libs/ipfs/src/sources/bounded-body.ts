// Read an HTTP body into memory, but never more than `maxBytes`: a peer that streams without end (or
// announces a huge Content-Length) is cut off at the limit, and memory stays bounded.
import { BlockTooLargeError } from './types.ts';

export async function readBodyLimited(res: Response, maxBytes: number, url: string, what = "the block's"): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new BlockTooLargeError(`${url}: Content-Length ${declared} is over ${what} limit of ${maxBytes} bytes`);
  }
  if (!res.body) return new Uint8Array();
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new BlockTooLargeError(`${url}: body cut off past ${what} limit of ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
