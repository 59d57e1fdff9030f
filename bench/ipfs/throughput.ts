// MB/s from the local IPFS provider per backend (trustless gateway, Kubo RPC, Helia bitswap).
// The provider runs as its own process (`hls-chips ipfs serve`), like a real node; the client is this
// process. Every block is verified by the client. Sizes: BENCH_FILES files of BENCH_MB MB each
// (defaults 7 x 16 MB, one scene's worth of bands), concurrency BENCH_CONCURRENCY (default 8).
//   node bench/ipfs/throughput.ts
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { IpfsBackendConfig } from '@hls/contracts';
import { createFetcher } from '@hls/ipfs';

const files = Number(process.env.BENCH_FILES ?? 7);
const mb = Number(process.env.BENCH_MB ?? 16);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const root = mkdtempSync(join(tmpdir(), 'hls-ipfs-bench-'));
const served = join(root, 'served');
mkdirSync(served);
for (let i = 0; i < files; i++) writeFileSync(join(served, `band${i}.tif`), randomBytes(mb * 1e6));

const main = join(import.meta.dirname, '../../apps/cli/src/main.ts');
const server = spawn(process.execPath, [main, 'ipfs', 'serve', '--dir', served, '--store', join(root, 'blocks'), '--mapping', join(root, 'map.json')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const line = await new Promise<string>((resolve) => createInterface({ input: server.stdout }).once('line', resolve));
const info = JSON.parse(line) as { gateway: string; rpc: string; multiaddr: string; files: { path: string; cid: string; size: number }[] };

const backends: Array<[string, IpfsBackendConfig]> = [
  ['gateway (trustless, raw blocks)', { type: 'gateway', urls: [info.gateway] }],
  ['kubo RPC (block/get)', { type: 'kubo', url: info.rpc }],
  ['helia (bitswap over TCP)', { type: 'helia', peers: [info.multiaddr] }],
];
const total = info.files.reduce((n, f) => n + f.size, 0);
console.log(`${files} files x ${mb} MB = ${(total / 1e6).toFixed(0)} MB, concurrency ${concurrency}, provider in a separate process, ${process.version}`);
try {
  for (const [name, b] of backends) {
    const f = await createFetcher({ backends: [b], timeout_ms: 30_000, retries: 2, concurrency });
    const out = join(root, `out-${b.type}`);
    const t0 = performance.now();
    await Promise.all(info.files.map((x) => f.fetchToFile(x.cid, join(out, x.path))));
    const s = (performance.now() - t0) / 1000;
    await f.close();
    console.log(`${name.padEnd(34)} ${(total / 1e6 / s).toFixed(1).padStart(7)} MB/s  (${s.toFixed(2)} s)`);
    rmSync(out, { recursive: true, force: true });
  }
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(root, { recursive: true, force: true });
}
