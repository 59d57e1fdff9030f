// The run ledger: the one owner of run, tile and chip state in JetStream KV. Services, the runner,
// `status` and the web page read and write a run's state only through here. Safe under redelivery and
// racing replicas: create-only keys, compare-and-set, running counts that never miss a chip, exact counts
// from the records.
import { kvMutate, kvStore, type Bus, type KvStore } from '@hls/bus';
import { forEachInWindow } from '@hls/common';
import { BANDS, BANDS_PER_TILE, KV_BUCKETS, SUBJECTS, messageId, parseGranuleId, type EventInput } from '@hls/contracts';
import { Kvm } from '@nats-io/kv';
import type { z } from 'zod';
import { bandSpansKey, bandsKey, chipKey, completionKey, countsKey, entityOf, failedKey, finishedKey, readyKey, runKey, specKey, tileKey } from './keys.ts';
import {
  ChipRecordSchema,
  RunCountsSchema,
  RunFailedSchema,
  RunFinishedSchema,
  RunRecordSchema,
  RunSpecSchema,
  TileRecordSchema,
  emptyCounts,
  total,
  type ChipRecord,
  type RunCounts,
  type RunFailed,
  type RunFinished,
  type RunRecord,
  type RunSpec,
  type TileRecord,
} from './records.ts';
import { isTileEvent, reduceTile } from './state.ts';

/** The ledger's KV buckets. */
export interface LedgerStores {
  runs: KvStore;
  tiles: KvStore;
  chips: KvStore;
}

/** What the ledger knows of a run's end, for the runner, `status` and the web page. */
export interface RunEnd {
  expected: number | null;
  failed?: RunFailed;
  finished?: RunFinished;
}

export class LedgerRecordError extends Error {
  constructor(bucket: string, key: string, message: string) {
    super(`KV ${bucket} key ${key}: not a ledger record: ${message}`);
    this.name = 'LedgerRecordError';
  }
}

/** Publishes hls.run.completed for the completion rule (the runtime's ctx.publish). */
export type PublishCompleted = (subject: typeof SUBJECTS.runCompleted, event: EventInput<typeof SUBJECTS.runCompleted>, msgId: string) => Promise<void>;

const now = (): string => new Date().toISOString();

export class RunLedger {
  readonly stores: LedgerStores;

  constructor(stores: LedgerStores) {
    this.stores = stores;
  }

  /** The ledger of a server, creating its buckets when missing (services and runners). */
  static async open(bus: Bus): Promise<RunLedger> {
    return new RunLedger({ runs: await bus.kv(KV_BUCKETS.runs), tiles: await bus.kv(KV_BUCKETS.tiles), chips: await bus.kv(KV_BUCKETS.chips) });
  }

  /** The ledger of a server for reading only: null when its buckets do not exist (nothing is created). */
  static async lookup(bus: Bus): Promise<RunLedger | null> {
    const kvm = new Kvm(bus.js);
    const open = async (name: string): Promise<KvStore | null> => {
      try {
        const kv = await kvm.open(name);
        await kv.status();
        return kvStore(kv);
      } catch {
        return null;
      }
    };
    const [runs, tiles, chips] = [await open(KV_BUCKETS.runs), await open(KV_BUCKETS.tiles), await open(KV_BUCKETS.chips)];
    return runs && tiles && chips ? new RunLedger({ runs, tiles, chips }) : null;
  }

  /** A run's entity records in one bucket, by entity id, in key order; read 64 at a time (a US-wide run has ~100k chips). */
  async #records<T>(store: KvStore, bucket: string, runId: string, schema: z.ZodType<T>): Promise<Map<string, T>> {
    const keys = (await store.keys(runId)).flatMap((k) => {
      const id = entityOf(k);
      return id ? [[id, k] as const] : [];
    });
    const found = new Map<string, T>();
    await forEachInWindow(keys, async ([id, k]) => {
      const rec = await this.#read(store, bucket, k, schema);
      if (rec) found.set(id, rec);
    });
    // In key order, whatever order the reads finished in.
    return new Map(keys.flatMap(([id]) => (found.has(id) ? [[id, found.get(id)!] as const] : [])));
  }

  async #read<T>(store: KvStore, bucket: string, key: string, schema: z.ZodType<T>): Promise<T | undefined> {
    const e = await store.get(key);
    if (!e) return undefined;
    const r = schema.safeParse(e.value);
    if (!r.success) throw new LedgerRecordError(bucket, key, r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
    return r.data;
  }

  // --- runs -------------------------------------------------------------------------------------------

  /** Keep the run's request, once: every service (any replica) reads the run's config from it. */
  async recordRunRequested(ev: RunSpec): Promise<void> {
    await this.stores.runs.create(specKey(ev.runId), ev);
  }

  async runSpec(runId: string): Promise<RunSpec | undefined> {
    return this.#read(this.stores.runs, KV_BUCKETS.runs, specKey(runId), RunSpecSchema);
  }

  /** The number of chips whose terminal events complete the run (chip-index, before any of them). */
  async recordExpectedChips(runId: string, rec: RunRecord): Promise<void> {
    await kvMutate<RunRecord>(this.stores.runs, runKey(runId), (prev) => ({ ...prev, ...rec }));
  }

  async runRecord(runId: string): Promise<RunRecord | undefined> {
    return this.#read(this.stores.runs, KV_BUCKETS.runs, runKey(runId), RunRecordSchema);
  }

  async recordRunFailed(runId: string, reason: string): Promise<void> {
    await this.stores.runs.put(failedKey(runId), { reason, at: now() } satisfies RunFailed);
  }

  async recordRunFinished(runId: string, finished: Omit<RunFinished, 'at'>): Promise<void> {
    await this.stores.runs.put(finishedKey(runId), { ...finished, at: now() } satisfies RunFinished);
  }

  async runEnd(runId: string): Promise<RunEnd> {
    const [rec, failed, finished] = await Promise.all([
      this.runRecord(runId),
      this.#read(this.stores.runs, KV_BUCKETS.runs, failedKey(runId), RunFailedSchema),
      this.#read(this.stores.runs, KV_BUCKETS.runs, finishedKey(runId), RunFinishedSchema),
    ]);
    return { expected: rec?.expectedChips ?? null, ...(failed ? { failed } : {}), ...(finished ? { finished } : {}) };
  }

  /** Every run the server holds, oldest key first. */
  async runIds(): Promise<string[]> {
    return (await this.stores.runs.keys('')).filter((k) => k.endsWith('.spec')).map((k) => k.slice(0, -'.spec'.length));
  }

  // --- tiles ------------------------------------------------------------------------------------------

  /** Apply a published event to its tile's record (the reducer decides; other events change nothing). */
  async observe(subject: string, ev: unknown): Promise<void> {
    const e = ev as { runId?: string; tileId?: string };
    // A chip's or band's event never changes its tile's record: no need to read it (a KV round trip for most
    // of a run's events).
    if (!e?.runId || !e.tileId || !isTileEvent(subject, ev)) return;
    const at = now();
    await kvMutate<TileRecord>(this.stores.tiles, tileKey(e.runId, e.tileId), (prev) => reduceTile(prev, subject, ev, at));
  }

  async tile(runId: string, tileId: string): Promise<TileRecord | undefined> {
    return this.#read(this.stores.tiles, KV_BUCKETS.tiles, tileKey(runId, tileId), TileRecordSchema);
  }

  /** Every tile record of a run, by tile id. */
  async tiles(runId: string): Promise<Map<string, TileRecord>> {
    return this.#records(this.stores.tiles, KV_BUCKETS.tiles, runId, TileRecordSchema);
  }

  /**
   * Add one reprojected band to the tile's set. Returns whether the tile has all 21 bands of its selected
   * scenes, and whether hls.tile.reprojected still has to be published (decided by a create-only marker, so of
   * several racing replicas exactly one publishes; a crash between marker and publish is covered because
   * the marker says 'publishing' until confirmed).
   */
  async addReprojectedBand(runId: string, tileId: string, granuleId: string, band: string, traceparent?: string): Promise<{ ready: boolean; mustPublish: boolean; have: number }> {
    const tiles = this.stores.tiles;
    const granules = (await this.tile(runId, tileId))?.granuleIds ?? [];
    // Before the band joins the set: whoever sees the set complete finds every band's span.
    if (traceparent) {
      await kvMutate<Record<string, string>>(tiles, bandSpansKey(runId, tileId), (prev) =>
        prev?.[`${granuleId}.${band}`] === traceparent ? undefined : { ...prev, [`${granuleId}.${band}`]: traceparent },
      );
    }
    const { value } = await kvMutate<string[]>(tiles, bandsKey(runId, tileId), (prev) => {
      const set = new Set(prev ?? []);
      const k = `${granuleId}.${band}`;
      if (set.has(k)) return undefined;
      set.add(k);
      return [...set].sort();
    });
    const done = new Set(value ?? []);
    const have = granules.flatMap((g) => BANDS.map((b) => `${g}.${b}`)).filter((k) => done.has(k)).length;
    const ready = granules.length === 3 && have === BANDS_PER_TILE;
    if (!ready) return { ready, mustPublish: false, have };
    if (await tiles.create(readyKey(runId, tileId), { state: 'publishing' })) return { ready, mustPublish: true, have };
    const marker = (await tiles.get(readyKey(runId, tileId)))?.value as { state?: string } | undefined;
    return { ready, mustPublish: marker?.state !== 'published', have };
  }

  /** The W3C traceparent of each reprojected band of a tile, by `<granule>.<band>` (those recorded). */
  async bandTraceparents(runId: string, tileId: string): Promise<Record<string, string>> {
    const v = (await this.stores.tiles.get(bandSpansKey(runId, tileId)))?.value;
    if (typeof v !== 'object' || v === null) return {};
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }

  async markTileReadyPublished(runId: string, tileId: string): Promise<void> {
    await this.stores.tiles.put(readyKey(runId, tileId), { state: 'published' });
  }

  // --- chips ------------------------------------------------------------------------------------------

  /**
   * Record a chip's terminal state and count it in the run's running counts. The first terminal event of a
   * chip wins (create-only); a later, different one is a conflict and not counted twice. The record says
   * whether its count is in: a repeat (the redelivery after a crash between the record and its count) counts
   * it then. A crash after the count but before the record says so counts it twice at most: the running
   * counts never miss a chip, and the completion check confirms them from the records.
   */
  async recordChipTerminal(runId: string, chipId: string, rec: Omit<ChipRecord, 'at' | 'counted'> & { at?: string }): Promise<'new' | 'same' | 'conflict'> {
    const chips = this.stores.chips;
    const key = chipKey(runId, chipId);
    const full: ChipRecord = { ...rec, at: rec.at ?? now() };
    const count = async (r: ChipRecord): Promise<void> => {
      await kvMutate<RunCounts>(chips, countsKey(runId), (prev) => {
        const c = { ...emptyCounts(), ...prev };
        c[r.state]++;
        return c;
      });
      await chips.put(key, { ...r, counted: true });
    };
    if (await chips.create(key, { ...full, counted: false })) {
      await count(full);
      return 'new';
    }
    const cur = await this.#read(chips, KV_BUCKETS.chips, key, ChipRecordSchema);
    if (cur?.counted === false) await count(cur);
    return cur?.state === full.state ? 'same' : 'conflict';
  }

  /** Every terminal chip record of a run, by chip id. */
  async chips(runId: string): Promise<Map<string, ChipRecord>> {
    return this.#records(this.stores.chips, KV_BUCKETS.chips, runId, ChipRecordSchema);
  }

  /** Runs that have terminal chip records (a run's events may have aged out of the stream). */
  async runIdsWithChips(): Promise<string[]> {
    return [...new Set((await this.stores.chips.keys('')).map((k) => k.split('.')[0] as string))].sort();
  }

  /**
   * The counts kept as chips turn terminal (one record, incremented once for each chip's record, at least
   * once: never fewer than the records, maybe more after a crash), for the completion check's first look.
   */
  async runningCounts(runId: string): Promise<RunCounts> {
    return (await this.#read(this.stores.chips, KV_BUCKETS.chips, countsKey(runId), RunCountsSchema)) ?? emptyCounts();
  }

  /** Exact counts from the run's chip records. */
  async counts(runId: string): Promise<RunCounts> {
    const c = emptyCounts();
    for (const r of (await this.chips(runId)).values()) c[r.state]++;
    return c;
  }

  /** Chip ids of the run in one terminal state, sorted (the dataset is built from the run's own chips). */
  async chipIds(runId: string, state: ChipRecord['state']): Promise<string[]> {
    return chipIdsIn(await this.chips(runId), state);
  }

  /**
   * The completion rule: when every expected chip of the run is terminal (0 expected included), publish
   * hls.run.completed. A create-only claim lets exactly one caller publish; the claimer's own redelivery
   * publishes again (same message id, so JetStream drops the copy) in case it crashed in between.
   */
  async completeRunWhenDone(runId: string, by: string, publish: PublishCompleted): Promise<'completed' | 'pending' | 'other'> {
    const expected = (await this.runRecord(runId))?.expectedChips ?? null;
    if (expected === null) return 'pending';
    // Every terminal chip asks this: the running counts answer "not yet" with one read, and the chip records
    // are counted only once they say done (counting them each time made a run's checks O(chips^2) reads).
    if (total(await this.runningCounts(runId)) < expected) return 'pending';
    const counts = await this.counts(runId);
    if (total(counts) < expected) return 'pending';
    if (!(await this.stores.runs.create(completionKey(runId), { by }))) {
      const cur = (await this.stores.runs.get(completionKey(runId)))?.value as { by?: string } | undefined;
      if (cur?.by !== by) return 'other';
    }
    await publish(SUBJECTS.runCompleted, { runId, expected, counts }, messageId(SUBJECTS.runCompleted, runId));
    return 'completed';
  }
}

/** The ids of the chip records in one terminal state, sorted. */
export function chipIdsIn(records: ReadonlyMap<string, ChipRecord>, state: ChipRecord['state']): string[] {
  return [...records].filter(([, r]) => r.state === state).map(([id]) => id).sort();
}

/** The tile's scenes as date-ordered refs (the date comes from the granule id). */
export function sceneRefs(granuleIds: readonly string[]): Array<{ granuleId: string; date: string }> {
  return granuleIds.map((g) => ({ granuleId: g, date: parseGranuleId(g).date }));
}

