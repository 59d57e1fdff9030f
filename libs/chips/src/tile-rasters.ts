// The open band files of the tiles being clipped, shared by their chips.
import { RasterCache } from './clip.ts';

/** How long a tile's band files stay open after its last chip job (more of its chips are usually queued). */
const TILE_IDLE_MS = 30_000;

/**
 * The open band files (21 per tile, and the CDL) shared by the chip jobs of one tile: each chip would
 * otherwise open and parse 22 GeoTIFF headers. A tile's files are closed once no job of it has run for
 * TILE_IDLE_MS, never while one runs.
 */
export class TileRasters {
  readonly #open = new Map<string, { cache: RasterCache; inflight: number; timer?: NodeJS.Timeout }>();

  async use<T>(runId: string, tileId: string, fn: (cache: RasterCache) => Promise<T>): Promise<T> {
    const key = `${runId}/${tileId}`;
    let entry = this.#open.get(key);
    if (!entry) this.#open.set(key, (entry = { cache: new RasterCache(), inflight: 0 }));
    clearTimeout(entry.timer);
    entry.inflight++;
    try {
      return await fn(entry.cache);
    } finally {
      entry.inflight--;
      if (entry.inflight === 0) {
        const e = entry;
        e.timer = setTimeout(() => {
          if (e.inflight > 0 || this.#open.get(key) !== e) return;
          this.#open.delete(key);
          void e.cache.close();
        }, TILE_IDLE_MS);
        e.timer.unref();
      }
    }
  }

  /** Jobs running in use() now, over all tiles. */
  get inUse(): number {
    let n = 0;
    for (const e of this.#open.values()) n += e.inflight;
    return n;
  }

  /** Tiles with open files (tests). */
  get tiles(): number {
    return this.#open.size;
  }

  async close(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    for (const e of all) {
      clearTimeout(e.timer);
      await e.cache.close();
    }
  }
}
