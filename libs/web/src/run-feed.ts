// The runs the web server knows, fed by pipeline events (replayed from the stream, then live) and
// the run ledger's chip records. Listeners (the SSE connections) get the chips each event changed.
import { RunIdSchema, STREAMS } from '@hls/contracts';
import { RunLedger } from '@hls/ledger';
import type { Bus } from '@hls/bus';
import { DeliverPolicy } from '@nats-io/jetstream';
import { applyEvent, applyKvChip, newRunModel, runIdOf, snapshot, stateCounts, type ChipView, type RunModel, type RunSnapshot, type StateCounts } from './run-model.ts';

export interface RunUpdate {
  runId: string;
  chips: ChipView[];
  counts: StateCounts;
  completed: boolean;
  expectedChips?: number;
}
export type RunListener = (u: RunUpdate) => void;

export class RunFeed {
  #runs = new Map<string, RunModel>();
  #listeners = new Map<string, Set<RunListener>>();
  /** Run ids in the order their first event arrived. */
  #order: string[] = [];

  #model(runId: string): RunModel {
    let m = this.#runs.get(runId);
    if (!m) {
      m = newRunModel(runId);
      this.#runs.set(runId, m);
      this.#order.push(runId);
    }
    return m;
  }

  /** Fold one message in and tell the run's listeners what changed. */
  ingest(subject: string, data: unknown, traceparent?: string): void {
    const runId = runIdOf(data);
    if (!runId) return;
    const m = this.#model(runId);
    const wasComplete = m.completed;
    const changed = applyEvent(m, subject, data, traceparent);
    if (changed.length === 0 && wasComplete === m.completed) return;
    this.#emit(m, changed);
  }

  /** A chip's terminal record from the chips KV. */
  ingestKvChip(runId: string, chipId: string, rec: unknown): void {
    const m = this.#model(runId);
    if (applyKvChip(m, chipId, rec)) this.#emit(m, [chipId]);
  }

  /** Expected chip count of a run (from the runs KV). */
  setExpected(runId: string, n: number): void {
    const m = this.#model(runId);
    m.expectedChips = n;
    this.#emit(m, []);
  }

  #emit(m: RunModel, changed: readonly string[]): void {
    const ls = this.#listeners.get(m.runId);
    if (!ls || ls.size === 0) return;
    const u: RunUpdate = {
      runId: m.runId,
      chips: changed.map((id) => m.chips.get(id)).filter((c): c is ChipView => c !== undefined),
      counts: stateCounts(m.chips.values()),
      completed: m.completed,
      ...(m.expectedChips !== undefined ? { expectedChips: m.expectedChips } : {}),
    };
    for (const l of ls) l(u);
  }

  runs(): string[] {
    return [...this.#order];
  }

  expected(runId: string): number | undefined {
    return this.#runs.get(runId)?.expectedChips;
  }

  /** The run's chip payload (and twin) objects, once its hls.run.requested was seen. */
  chipPayload(runId: string): RunModel['payloadInputs'] {
    return this.#runs.get(runId)?.payloadInputs;
  }

  datasetDir(runId: string): string | undefined {
    return this.#runs.get(runId)?.datasetDir;
  }

  snapshot(runId: string): RunSnapshot | undefined {
    const m = this.#runs.get(runId);
    return m ? snapshot(m) : undefined;
  }

  /** Listen to one run; returns the unsubscribe function. */
  subscribe(runId: string, l: RunListener): () => void {
    let s = this.#listeners.get(runId);
    if (!s) this.#listeners.set(runId, (s = new Set()));
    s.add(l);
    return () => s.delete(l);
  }
}

export interface NatsFeedHandle {
  stop(): Promise<void>;
}

/**
 * Feed a RunFeed from NATS: an ordered consumer on the event stream delivers every stored event,
 * then the live ones, with their headers (the traceparent); the runs KV gives expected chip counts.
 */
export async function startNatsFeed(bus: Bus, feed: RunFeed, o: { say?: (line: string) => void; pollMs?: number } = {}): Promise<NatsFeedHandle> {
  // Read-only: the stream and buckets are looked up, never created. Without the stream (nothing submitted
  // yet) the feed says so once and starts when the first submit creates it.
  if (await bus.lookupStream()) return consumeFeed(bus, feed);
  o.say?.(`no stream ${STREAMS.events.name} on this NATS server yet (no run submitted; nothing created): runs show once one is`);
  let handle: NatsFeedHandle | undefined;
  let stopped = false;
  const timer = setInterval(() => {
    void bus
      .lookupStream()
      .then(async (found) => {
        if (!found || handle || stopped) return;
        clearInterval(timer);
        handle = await consumeFeed(bus, feed);
      })
      .catch(() => undefined);
  }, o.pollMs ?? 2000);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await handle?.stop();
    },
  };
}

async function consumeFeed(bus: Bus, feed: RunFeed): Promise<NatsFeedHandle> {
  const consumer = await bus.js.consumers.get(STREAMS.events.name, { filter_subjects: STREAMS.events.subjects[0], deliver_policy: DeliverPolicy.All });
  const messages = await consumer.consume();
  let ledger: RunLedger | null = null;
  const lookedUp = new Map<string, number>();
  const loop = (async () => {
    for await (const m of messages) {
      let data: unknown;
      try {
        data = m.json<unknown>();
      } catch {
        continue; // Not JSON: no run to show it in.
      }
      feed.ingest(m.subject, data, m.headers?.get('traceparent') || undefined);
      // chip-index records the expected count after indexing: look it up (at most once a second per run) until known.
      const runId = runIdOf(data);
      if (runId && feed.expected(runId) === undefined && Date.now() - (lookedUp.get(runId) ?? 0) > 1000) {
        lookedUp.set(runId, Date.now());
        ledger ??= await RunLedger.lookup(bus);
        const rec = await ledger?.runRecord(runId).catch(() => undefined);
        if (rec) feed.setExpected(runId, rec.expectedChips);
      }
    }
  })();
  // Terminal chip records from the ledger, in the background: they only fill in what the stream no longer holds.
  const seeded = seedFromKv(bus, feed).catch(() => undefined);
  return {
    async stop() {
      await messages.close().catch(() => undefined);
      await loop.catch(() => undefined);
      await seeded;
    },
  };
}

/** Every run's terminal chip records of the ledger into the feed; returns how many were read. */
export async function seedFromKv(bus: Bus, feed: RunFeed): Promise<number> {
  const ledger = await RunLedger.lookup(bus);
  if (!ledger) return 0;
  let n = 0;
  for (const runId of await ledger.runIdsWithChips()) {
    if (!RunIdSchema.safeParse(runId).success) continue;
    for (const [chipId, rec] of await ledger.chips(runId).catch(() => new Map())) {
      feed.ingestKvChip(runId, chipId, rec);
      n++;
    }
  }
  return n;
}
