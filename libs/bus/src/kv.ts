// JSON values in a JetStream KV bucket, with create-only and compare-and-set for races between replicas.
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';

export interface KvStore {
  get(key: string): Promise<{ value: unknown; revision: number } | null>;
  put(key: string, value: unknown): Promise<number>;
  create(key: string, value: unknown): Promise<boolean>;
  update(key: string, value: unknown, revision: number): Promise<boolean>;
  keys(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}

const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

/** True for the server's "wrong last sequence" answer (JetStream API error 10071) to a create/update race. */
function isRevisionConflict(e: unknown): boolean {
  return e instanceof JetStreamApiError && (e.code === JetStreamApiCodes.StreamWrongLastSequence || e.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
}

export function kvStore(kv: KV): KvStore {
  return {
    async get(key) {
      const e = await kv.get(key);
      if (!e || e.operation !== 'PUT' || e.length === 0) return null;
      return { value: e.json<unknown>(), revision: e.revision };
    },
    put: (key, value) => kv.put(key, enc(value)),
    async create(key, value) {
      try {
        await kv.create(key, enc(value));
        return true;
      } catch (e) {
        if (isRevisionConflict(e)) return false;
        throw e;
      }
    },
    async update(key, value, revision) {
      try {
        await kv.update(key, enc(value), revision);
        return true;
      } catch (e) {
        if (isRevisionConflict(e)) return false;
        throw e;
      }
    },
    async keys(prefix) {
      const out: string[] = [];
      const it = await kv.keys(prefix ? `${prefix}.>` : '>');
      for await (const k of it) out.push(k);
      return out.sort();
    },
    async delete(key) {
      await kv.delete(key);
    },
  };
}

/**
 * Read-modify-write with compare-and-set, retried on conflicts: the building block for counters and
 * sets that several replicas update at once. `fn` returns the new value, or undefined to leave it.
 */
export async function kvMutate<T>(store: KvStore, key: string, fn: (prev: T | undefined) => T | undefined, attempts = 50): Promise<{ value: T | undefined; changed: boolean }> {
  for (let i = 0; i < attempts; i++) {
    const cur = await store.get(key);
    const next = fn(cur?.value as T | undefined);
    if (next === undefined) return { value: cur?.value as T | undefined, changed: false };
    const ok = cur ? await store.update(key, next, cur.revision) : await store.create(key, next);
    if (ok) return { value: next, changed: true };
    await new Promise((r) => setTimeout(r, Math.random() * 10 * (i + 1)));
  }
  throw new Error(`KV key ${key}: gave up after ${attempts} conflicting updates`);
}
