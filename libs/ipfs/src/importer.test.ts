import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { importer } from 'ipfs-unixfs-importer';
import type { CID } from 'multiformats/cid';
import { MemoryBlockStore } from './blockstore.ts';
import { CODEC_DAG_PB, CODEC_RAW, cidOfBlock } from './cid.ts';
import { KUBO_CIDV1_IMPORT, cidOfBytes, importDirectory, importFile } from './importer.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'hls-ipfs-imp-'));

// Vectors from Kubo's own test fixtures (test/sharness/t0114-gateway-subdomains and t0116-gateway-cache
// READMEs), made with `ipfs add -r --cid-version 1` by Kubo 0.18.1 / 0.21.
test('directories import to the CIDs Kubo gives them (ipfs add -r --cid-version 1)', async () => {
  const root = tmp();
  try {
    const d = join(root, 'testdirlisting');
    mkdirSync(join(d, 'ipfs/ipns'), { recursive: true });
    mkdirSync(join(d, 'api'));
    writeFileSync(join(d, 'hello'), 'hello\n');
    writeFileSync(join(d, 'ipfs/ipns/bar'), 'text-file-content\n');
    writeFileSync(join(d, 'api/file.txt'), 'I am a txt file\n');
    writeFileSync(join(d, 'ipfs/file.txt'), 'I am a txt file\n');
    const t = await importDirectory(d);
    assert.equal(t.root.toString(), 'bafybeiht6dtwk3les7vqm6ibpvz6qpohidvlshsfyr7l5mpysdw2vmbbhe');
    assert.equal(t.files.find((f) => f.path === 'hello')?.cid.toString(), 'bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am');

    const r2 = join(root, 'root2');
    mkdirSync(join(r2, 'root3/root4'), { recursive: true });
    writeFileSync(join(r2, 'root3/root4/index.html'), 'hello\n');
    assert.equal((await importDirectory(r2)).root.toString(), 'bafybeih2w7hjocxjg6g2ku25hvmd53zj7og4txpby3vsusfefw5rrg5sii');
    assert.equal((await importDirectory(join(r2, 'root3'))).root.toString(), 'bafybeiawdvhmjcz65x5egzx4iukxc72hg4woks6v6fvgyupiyt3oczk5ja');
    assert.equal((await importDirectory(join(r2, 'root3/root4'))).root.toString(), 'bafybeifq2rzpqnqrsdupncmkmhs3ckxxjhuvdcbvydkgvch3ms24k5lo7q');
    // The empty UnixFS directory (QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn as CIDv1).
    mkdirSync(join(root, 'empty'));
    assert.equal((await importDirectory(join(root, 'empty'))).root.toString(), 'bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a file of at most 256 KiB is one raw block whose CID is the sha2-256 of its bytes', async () => {
  const root = tmp();
  try {
    for (const size of [0, 1, 1000, 262_144]) {
      const bytes = Buffer.alloc(size, 7);
      const p = join(root, `f${size}`);
      writeFileSync(p, bytes);
      const cid = (await importFile(p)).cid;
      assert.equal(cid.code, CODEC_RAW);
      assert.deepEqual(Buffer.from(cid.multihash.digest), createHash('sha256').update(bytes).digest());
      assert.equal(cid.toString(), cidOfBlock(bytes).toString());
      assert.match(cid.toString(), /^bafkrei[a-z2-7]{52}$/);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

async function rootNode(store: MemoryBlockStore, cid: CID): Promise<{ node: dagPb.PBNode; fs: UnixFS }> {
  const node = dagPb.decode(await store.get(cid));
  return { node, fs: UnixFS.unmarshal(node.Data ?? new Uint8Array()) };
}

test('larger files: 256 KiB raw leaves under a dag-pb root, balanced, at most 174 links per node', async () => {
  const store = new MemoryBlockStore();
  const bytes = Buffer.alloc(4 * 262_144 + 5);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
  let root: CID | undefined;
  for await (const e of importer([{ content: bytes }], store, { ...KUBO_CIDV1_IMPORT })) root = e.cid;
  assert.ok(root);
  assert.equal(root.code, CODEC_DAG_PB);
  assert.equal(root.version, 1);
  assert.match(root.toString(), /^bafybei/);
  const { node, fs } = await rootNode(store, root);
  assert.equal(fs.type, 'file');
  assert.deepEqual(fs.blockSizes.map(Number), [262_144, 262_144, 262_144, 262_144, 5]);
  assert.equal(Number(fs.fileSize()), bytes.length);
  assert.ok(node.Links.every((l) => l.Hash.code === CODEC_RAW));
  assert.equal(node.Links[4]?.Hash.toString(), cidOfBlock(bytes.subarray(4 * 262_144)).toString());
  assert.equal((await cidOfBytes(bytes)).toString(), root.toString());

  // 175 chunks: one more than a node holds, so the balanced layout adds a level (174 + 1).
  const big = new MemoryBlockStore();
  let bigRoot: CID | undefined;
  for await (const e of importer([{ content: Buffer.alloc(175 * 262_144) }], big, { ...KUBO_CIDV1_IMPORT })) bigRoot = e.cid;
  assert.ok(bigRoot);
  const top = await rootNode(big, bigRoot);
  assert.equal(top.node.Links.length, 2);
  assert.deepEqual(top.fs.blockSizes.map(Number), [174 * 262_144, 262_144]);
  const left = await rootNode(big, top.node.Links[0]!.Hash);
  assert.equal(left.node.Links.length, 174);
});

test('symlinked files and folders are followed (the bytes they point at get their CIDs); broken links and loops are listed as skipped', async () => {
  const root = tmp();
  try {
    const store = join(root, 'store');
    const g = 'HLS.S30.T15TVG.2022152T170851.v2.0';
    mkdirSync(join(store, g), { recursive: true });
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
    writeFileSync(join(store, g, `${g}.B02.tif`), bytes);
    writeFileSync(join(store, 'other.tif'), 'other');
    const served = join(root, 'served');
    mkdirSync(join(served, 'sub'), { recursive: true });
    symlinkSync(join(store, g), join(served, g)); // a granule folder linked from elsewhere
    symlinkSync(join(store, 'other.tif'), join(served, 'sub', 'other.tif'));
    symlinkSync(join(root, 'nowhere.tif'), join(served, 'broken.tif'));
    symlinkSync(served, join(served, 'sub', 'loop'));
    const t = await importDirectory(served);
    assert.deepEqual(t.files.map((f) => f.path), [`${g}/${g}.B02.tif`, 'sub/other.tif']);
    assert.equal(t.files[0]!.cid.toString(), (await cidOfBytes(bytes)).toString());
    assert.equal(t.files[0]!.size, bytes.length);
    assert.deepEqual(t.skipped, [
      { path: 'broken.tif', reason: 'broken symlink (ENOENT)' },
      { path: join('sub', 'loop'), reason: 'symlink loop: the folder is already imported' },
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
