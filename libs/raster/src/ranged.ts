// A GeoTIFF read through byte ranges from any source (HTTPS, IPFS, a file), injected as a RangeReader:
// geotiff.js parses the header through it, in aligned chunks so its many small reads become few requests.
// The chunks it touched are kept, so a partial copy holds exactly the header a reader of the copy needs.
import { GeoTIFF } from 'geotiff';
import type { ByteRange } from './chip-windows.ts';
import type { BlockLayout } from './fast-decode.ts';
import { openTiff, RasterReadError, type OpenOptions, type RasterInfo } from './read.ts';

/** Where the bytes come from: the file's size and verified bytes of ranges. */
export interface RangeReader {
  readonly size: number;
  read(ranges: readonly ByteRange[], signal?: AbortSignal): Promise<Uint8Array[]>;
}

export interface RangedRaster {
  info: RasterInfo;
  /** Byte range of a block of the first image (row-major index; first band plane). */
  blockRange(index: number): ByteRange;
  /** The header bytes read so far, by offset: what a partial copy must hold to be opened. */
  headerPieces(): Array<{ offset: number; bytes: Uint8Array }>;
  close(): Promise<void>;
}

/** Header reads go in chunks of this size (aligned). */
const HEADER_CHUNK = 16 * 1024;

/** geotiff.js's source interface: slices in, buffers out. */
class ChunkedSource {
  readonly chunks = new Map<number, Uint8Array>();
  readonly #reader: RangeReader;
  constructor(reader: RangeReader) {
    this.#reader = reader;
  }

  get fileSize(): number {
    return this.#reader.size;
  }

  async fetch(slices: ReadonlyArray<{ offset: number; length: number }>, signal?: AbortSignal): Promise<ArrayBuffer[]> {
    const size = this.#reader.size;
    const want = new Set<number>();
    for (const s of slices) {
      const end = Math.min(size, s.offset + s.length);
      for (let c = Math.floor(s.offset / HEADER_CHUNK); c * HEADER_CHUNK < end; c++) if (!this.chunks.has(c)) want.add(c);
    }
    const list = [...want].sort((a, b) => a - b);
    if (list.length > 0) {
      const ranges = list.map((c) => ({ offset: c * HEADER_CHUNK, length: Math.min(HEADER_CHUNK, size - c * HEADER_CHUNK) }));
      const got = await this.#reader.read(ranges, signal);
      list.forEach((c, i) => this.chunks.set(c, got[i]!));
    }
    return slices.map((s) => {
      const end = Math.min(size, s.offset + s.length);
      const out = new Uint8Array(Math.max(0, end - s.offset));
      for (let c = Math.floor(s.offset / HEADER_CHUNK); c * HEADER_CHUNK < end; c++) {
        const chunk = this.chunks.get(c)!;
        const base = c * HEADER_CHUNK;
        const from = Math.max(s.offset, base);
        const to = Math.min(end, base + chunk.length);
        out.set(chunk.subarray(from - base, to - base), from - s.offset);
      }
      return out.buffer;
    });
  }

  async close(): Promise<void> {}
}

/** Open a GeoTIFF through a range reader: its description and block layout, reading only its header. */
export async function openRangedRaster(name: string, reader: RangeReader, options: OpenOptions = {}): Promise<RangedRaster> {
  const source = new ChunkedSource(reader);
  let tiff: GeoTIFF;
  try {
    tiff = await GeoTIFF.fromSource(source as never, undefined, options.signal);
  } catch (e) {
    throw new RasterReadError(name, `cannot open as GeoTIFF: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const { raster, layout } = await openTiff(name, tiff, reader.size, false, options);
  const { read: _read, close, ...info } = raster;
  return {
    info,
    blockRange: (index) => blockRangeOf(name, layout, index),
    headerPieces: () => [...source.chunks.entries()].sort((a, b) => a[0] - b[0]).map(([c, bytes]) => ({ offset: c * HEADER_CHUNK, bytes })),
    close,
  };
}

function blockRangeOf(name: string, layout: BlockLayout, index: number): ByteRange {
  if (!Number.isInteger(index) || index < 0 || index >= layout.offsets.length) throw new RasterReadError(name, `no block ${index} (the image has ${layout.offsets.length})`);
  return { offset: Number(layout.offsets[index]), length: Number(layout.byteCounts[index]) };
}
