// Ranged reads by CID against the local provider's gateway, block by block (ranged CARs are off here, see
// ranged-car.test.ts): only the blocks overlapping a range are asked for, each verified; DAGs of Kubo's
// CIDv1 import, deeper DAGs and dag-pb leaves with data.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as dagPb from '@ipld/dag-pb';
import { importer } from 'ipfs-unixfs-importer';
import { balanced } from 'ipfs-unixfs-importer/layout';
import type { CID } from 'multiformats/cid';
import { parseCid } from './cid.ts';
import { FsBlockStore } from './blockstore.ts';
import { BlockVerificationError } from './errors.ts';
import { Fetcher } from './fetcher.ts';
import { KUBO_CIDV1_IMPORT } from './importer.ts';
import { gatewaySource } from './sources/gateway.ts';
import type { BlockSource } from './sources/types.ts';
import { CHUNK, GRANULE, bandFile, withProvider, type Fixture } from './test-support/fixtures.ts';

const BIG = bandFile(GRANULE, 'B02');
const SMALL = bandFile(GRANULE, 'Fmask');
let fx: Fixture;
before(async () => {
  // Six 256 KiB leaves under one root, as `ipfs add --cid-version 1` makes them.
  fx = await withProvider({ [BIG]: 5 * CHUNK + 1000, [SMALL]: 777 });
});
after(async () => {
  await fx.cleanup();
});

/** The gateway without its ranged CARs: blocks one by one, as from Kubo or Helia. */
const blocksOnly = (s: BlockSource): BlockSource => ({ name: s.name, get: s.get.bind(s) });
const fetcher = (): Fetcher => new Fetcher({ sources: [blocksOnly(gatewaySource(fx.provider.gateway))], timeoutMs: 15_000, retries: 1, concurrency: 4, backoffBaseMs: 20 });
const original = (rel: string): Buffer => fx.originals.get(rel) as Buffer;
const links = async (cid: string): Promise<CID[]> => dagPb.decode(await fx.provider.store.store.get(parseCid(cid))).Links.map((l) => l.Hash);
const served = (cid: CID | string): number => fx.provider.store.served.get(cid.toString()) ?? 0;

/** Import `bytes` into the provider's blockstore with other settings than Kubo's (the provider serves any block it holds). */
async function importInto(bytes: Uint8Array, o: { maxChildrenPerNode: number; rawLeaves: boolean }): Promise<CID> {
  const store = new FsBlockStore(join(fx.root, 'blocks'));
  let last: CID | undefined;
  for await (const e of importer([{ content: bytes }], store, { ...KUBO_CIDV1_IMPORT, rawLeaves: o.rawLeaves, layout: balanced({ maxChildrenPerNode: o.maxChildrenPerNode }) })) last = e.cid;
  if (!last) throw new Error('import produced no root');
  return last;
}

test('ranges across leaf boundaries equal the file; only the root and the leaves touched are fetched, once', async () => {
  const root = fx.cidOf(BIG);
  const leaves = await links(root);
  assert.equal(leaves.length, 6);
  const before = new Map(leaves.map((l) => [l.toString(), served(l)]));
  const f = fetcher();
  const file = await f.openFile(root);
  assert.equal(file.size, original(BIG).length);
  assert.equal(file.blocksFetched, 1, 'opening fetches the root only');
  const ranges = [
    [0, 16],
    [CHUNK - 100, 200],
    [2 * CHUNK - 5, 10],
  ] as const;
  const got = await Promise.all(ranges.map(([o, n]) => file.read(o, n)));
  for (const [i, [o, n]] of ranges.entries()) assert.deepEqual(Buffer.from(got[i] as Uint8Array), original(BIG).subarray(o, o + n), `range ${o}+${n}`);
  // Root + leaves 0, 1, 2 (leaf 1 is wanted by two ranges at once, and fetched once).
  assert.equal(file.blocksFetched, 4);
  const rootBytes = (await fx.provider.store.store.get(parseCid(root))).length;
  assert.equal(file.bytesFetched, rootBytes + 3 * CHUNK);
  assert.ok(file.bytesFetched < original(BIG).length * 0.65);
  for (const [i, l] of leaves.entries()) assert.equal(served(l) - (before.get(l.toString()) ?? 0), i <= 2 ? 1 : 0, `leaf ${i}`);
  assert.equal(f.requests.get(`gateway ${fx.provider.gateway}`), 4);
  // Read again: every block is held by the open file, nothing is asked for.
  assert.deepEqual(Buffer.from(await file.read(CHUNK - 50, 100)), original(BIG).subarray(CHUNK - 50, CHUNK + 50));
  assert.equal(file.blocksFetched, 4);
  // The last byte and the whole file.
  assert.deepEqual(Buffer.from(await file.read(file.size - 1, 1)), original(BIG).subarray(-1));
  assert.deepEqual(Buffer.from(await file.read(0, file.size)), original(BIG));
  assert.equal(file.blocksFetched, 7);
  await assert.rejects(file.read(file.size - 10, 11), (e: unknown) => {
    assert.ok(e instanceof RangeError);
    assert.match(e.message, new RegExp(`^${root}: range ${file.size - 10}\\+11 is outside the ${file.size}-byte file`));
    return true;
  });
  file.close();
});

test('leaves beyond the cache budget are dropped least recently used first; internal nodes are kept', async () => {
  const file = await fetcher().openFile(fx.cidOf(BIG), { cacheBytes: 2 * CHUNK });
  const at = (leaf: number): Promise<Uint8Array> => file.read(leaf * CHUNK + 1, 1);
  await at(0);
  await at(1);
  await at(0);
  assert.equal(file.blocksFetched, 3, 'root, leaves 0 and 1: both within the budget');
  await at(2); // drops leaf 1, the least recently used
  await at(0);
  assert.equal(file.blocksFetched, 4);
  await at(1);
  assert.equal(file.blocksFetched, 5, 'leaf 1 fetched again; the root never');
  assert.deepEqual(Buffer.from(await file.read(CHUNK - 1, 2)), original(BIG).subarray(CHUNK - 1, CHUNK + 1));
});

test('a one-block file (a raw root) reads its ranges from that block', async () => {
  const file = await fetcher().openFile(fx.cidOf(SMALL));
  assert.equal(file.size, 777);
  assert.deepEqual(Buffer.from(await file.read(700, 77)), original(SMALL).subarray(700));
  assert.equal(file.blocksFetched, 1);
});

test('a deeper DAG and dag-pb leaves with data: only the subtrees overlapping a range are walked', async () => {
  const bytes = randomBytes(7 * CHUNK + 3);
  for (const rawLeaves of [true, false]) {
    // At most 2 links per node: 8 leaves under 4 + 2 + 1 internal nodes, three levels.
    const root = await importInto(bytes, { maxChildrenPerNode: 2, rawLeaves });
    const f = fetcher();
    const file = await f.openFile(root);
    assert.equal(file.size, bytes.length);
    const got = await file.read(2 * CHUNK - 7, 14);
    assert.deepEqual(Buffer.from(got), bytes.subarray(2 * CHUNK - 7, 2 * CHUNK + 7), `rawLeaves ${rawLeaves}`);
    // root, its left child (leaves 0-3), the node over leaves 0-1 and the one over 2-3, and leaves 1 and 2.
    assert.equal(file.blocksFetched, 6, `rawLeaves ${rawLeaves}`);
    assert.deepEqual(Buffer.from(await file.read(0, file.size)), bytes, `rawLeaves ${rawLeaves}`);
  }
});

test('a corrupted leaf in range fails the read naming the leaf and the file; one outside every range is never asked for', async () => {
  const root = fx.cidOf(BIG);
  const leaves = await links(root);
  const bad = (leaves[4] as CID).toString();
  fx.provider.faults.corrupt.add(bad);
  try {
    const f = fetcher();
    const servedBefore = served(bad);
    const file = await f.openFile(root, { context: { granule: GRANULE, band: 'B02' } });
    // Leaves 0-1 only: the corrupt leaf 4 is not touched.
    assert.deepEqual(Buffer.from(await file.read(CHUNK - 10, 20)), original(BIG).subarray(CHUNK - 10, CHUNK + 10));
    assert.equal(served(bad), servedBefore, 'the leaf outside the range was never requested');
    await assert.rejects(file.read(4 * CHUNK + 10, 10), (e: unknown) => {
      assert.ok(e instanceof BlockVerificationError, String(e));
      assert.equal(e.cid, bad);
      assert.match(e.message, new RegExp(`block ${bad} of ${root} \\(band B02, granule ${GRANULE.replace(/\./g, '\\.')}\\) failed verification`));
      return true;
    });
  } finally {
    fx.provider.faults.corrupt.delete(bad);
  }
});
