// hls-chips ipfs serve / ipfs get / cids grab / cids check / retrieve, run as real processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BANDS } from '@hls/contracts';

const MAIN = join(import.meta.dirname, 'main.ts');
const G = 'HLS.S30.T15TVG.2022152T170851.v2.0';

function cli(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('ipfs serve + ipfs get + cids grab/check + retrieve, end to end over loopback', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'hls-ipfs-cli-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const served = join(root, 'served', G);
  mkdirSync(served, { recursive: true });
  const originals = new Map<string, Buffer>();
  for (const b of BANDS) {
    const bytes = randomBytes(60_000 + b.length * 100_000);
    writeFileSync(join(served, `${G}.${b}.tif`), bytes);
    originals.set(b, bytes);
  }
  const mapping = join(root, 'map.json');
  const server = spawn(process.execPath, [MAIN, 'ipfs', 'serve', '--dir', join(root, 'served'), '--store', join(root, 'blocks'), '--mapping', mapping], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((r) => server.on('exit', (c) => r(c)));
  t.after(() => server.kill('SIGKILL'));
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: server.stdout }).once('line', resolve);
    server.once('exit', () => reject(new Error('ipfs serve exited before printing its JSON line')));
  });
  const info = JSON.parse(first) as { gateway: string; rpc: string; multiaddr: string; files: { path: string; cid: string; size: number }[] };
  assert.match(info.gateway, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(info.rpc, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(info.multiaddr, /^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/);
  const map = JSON.parse(readFileSync(mapping, 'utf8')) as { filename: string; cid: string }[];
  assert.equal(map.length, 7);
  const cidOf = (b: string): string => map.find((m) => m.filename === `${G}.${b}.tif`)!.cid;

  const got = cli(['ipfs', 'get', cidOf('B04'), '--out', join(root, 'b04.tif'), '--rpc', info.rpc, '--quiet'], root);
  assert.equal(got.code, 0, got.stderr);
  assert.deepEqual(readFileSync(join(root, 'b04.tif')), originals.get('B04'));

  const absent = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';
  const miss = cli(['ipfs', 'get', absent, '--out', join(root, 'none.tif'), '--gateway', info.gateway, '--timeout', '300', '--retries', '0', '--quiet'], root);
  assert.equal(miss.code, 1);
  assert.match(miss.stderr, new RegExp(`cid-unavailable: ${absent}`));
  assert.equal(existsSync(join(root, 'none.tif')), false);

  const ds = join(root, 'ds');
  mkdirSync(ds);
  // The original's row shape: T-prefixed tile id, dict cells.
  writeFileSync(join(ds, 'selected_tiles.csv'), `title_id,tile_id,cloud_cover,spatial_cover,date,http_links,s3_links\n${G},T15TVG,0,100,2022-06-01,{},{}\n`);
  const grab = cli(['cids', 'grab', '--dataset', ds, '--mapping', mapping], root);
  assert.equal(grab.code, 0, grab.stderr);
  // Keyed by granule id, as grab_cids_from_selected_tiles.py writes it.
  const payloads = JSON.parse(readFileSync(join(ds, 'tile_payloads.json'), 'utf8')) as Record<string, { band_name: string; cid: string }[]>;
  assert.equal(payloads[G]?.find((b) => b.band_name === 'B8A')?.cid, cidOf('B8A'));

  const check = cli(['cids', 'check', '--dataset', ds, '--gateway', info.gateway, '--timeout', '2000'], root);
  assert.equal(check.code, 0, check.stderr);
  assert.deepEqual(JSON.parse(check.stdout).missing, 0);
  assert.equal(readFileSync(join(ds, 'missing_cids.json'), 'utf8'), '');

  const ret = cli(['retrieve', '--dataset', ds, '--peer', info.multiaddr, '--timeout', '5000'], root);
  assert.equal(ret.code, 0, ret.stderr);
  assert.match(ret.stderr, /7\/7 files .* MB\/s {2}ETA/);
  for (const b of BANDS) assert.deepEqual(readFileSync(join(ds, 'tiles', G, `${G}.${b}.tif`)), originals.get(b), b);

  server.kill('SIGTERM');
  assert.equal(await exited, 0, 'serve stops cleanly on SIGTERM');
});
