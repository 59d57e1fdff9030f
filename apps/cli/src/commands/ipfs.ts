// hls-chips ipfs: serve a directory as a local IPFS provider, or get one CID into a verified file.
import type { Command } from 'commander';
import type { FetchProgress, IpfsSettings } from '@hls/ipfs';
import { join, resolve } from 'node:path';
import { port, wholeNumber } from '../options.ts';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function register(program: Command): void {
  const ipfs = program.command('ipfs').description('IPFS retrieval and the local IPFS provider');

  ipfs
    .command('serve')
    .description(
      'import DIR as UnixFS (CIDs as `ipfs add -r --cid-version 1`), write the filename->CID mapping, print one JSON line ' +
        '{gateway, rpc, multiaddr, peerId, root, mapping, store, files} and serve a trustless gateway and the Kubo RPC subset until SIGTERM/SIGINT',
    )
    .requiredOption('--dir <dir>', 'directory to import and serve')
    .option('--data-dir <dir>', 'where the blockstore and the mapping go by default: <data-dir>/ipfs/', './data')
    .option('--mapping <file>', 'where to write the easierdata filename->CID mapping (default: <data-dir>/ipfs/filename_to_cid_mapping.json)')
    .option('--store <dir>', 'persistent blockstore directory (default: <data-dir>/ipfs/blocks)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--gateway-port <n>', 'gateway port (0 = any free port)', port, 0)
    .option('--rpc-port <n>', 'Kubo RPC port (0 = any free port)', port, 0)
    .option('--missing <cid>', 'fault: answer this CID as not found (repeatable)', collect, [])
    .option('--corrupt <cid>', "fault: flip a byte of this CID's block (repeatable)", collect, [])
    .option('--delay-ms <n>', 'fault: delay every block by this many ms', wholeNumber(), 0)
    .option('--bitswap-port <n>', 'libp2p TCP port for bitswap (0 = any free port)', port, 0)
    .option('--no-bitswap', 'do not start the Helia/libp2p bitswap node')
    .action(async (o: { dir: string; dataDir: string; mapping?: string; store?: string; host: string; gatewayPort: number; rpcPort: number; missing: string[]; corrupt: string[]; delayMs: number; bitswap: boolean; bitswapPort: number }) => {
      const store = o.store ?? join(o.dataDir, 'ipfs', 'blocks');
      const [{ startProvider }, { CID_MAPPING_FILE }] = await Promise.all([import('@hls/ipfs'), import('@hls/stac')]);
      // Ready for SIGTERM/SIGINT before the JSON line announces the server: a caller may stop it at once.
      const stopped = new Promise<void>((done) => {
        process.once('SIGTERM', () => done());
        process.once('SIGINT', () => done());
      });
      const p = await startProvider({
        dir: o.dir,
        storeDir: store,
        mappingFile: o.mapping ?? join(o.dataDir, 'ipfs', CID_MAPPING_FILE),
        host: o.host,
        gatewayPort: o.gatewayPort,
        rpcPort: o.rpcPort,
        faults: { missing: o.missing, corrupt: o.corrupt, delayMs: o.delayMs },
        bitswap: o.bitswap,
        bitswapPort: o.bitswapPort,
      });
      process.stdout.write(
        `${JSON.stringify({
          gateway: p.gateway,
          rpc: p.rpc,
          multiaddr: p.addresses[0] ?? null,
          peerId: p.peerId,
          root: p.root,
          mapping: p.mappingFile,
          store: resolve(store),
          files: p.files.map((f) => ({ path: f.path, cid: f.cid.toString(), size: f.size })),
          skipped: p.skipped,
        })}\n`,
      );
      for (const s of p.skipped) process.stderr.write(`ipfs serve: skipped ${join(o.dir, s.path)}: ${s.reason}\n`);
      await stopped;
      await p.close();
    });

  ipfs
    .command('get')
    .description('fetch one CID into FILE like `ipfs get`: every block verified, written to a part file and renamed when complete; resumes an interrupted download')
    .argument('<cid>', 'CID of a UnixFS file')
    .requiredOption('--out <file>', 'output file')
    .option('--rpc <url>', 'Kubo RPC API URL (e.g. http://127.0.0.1:5001)')
    .option('--gateway <url>', 'trustless gateway URL (repeatable: tried in order)', collect, [])
    .option('--peer <multiaddr>', 'bitswap peer multiaddr for an embedded Helia node (repeatable)', collect, [])
    .option('--timeout <ms>', 'per-request timeout in ms', wholeNumber(1), 60000)
    .option('--retries <n>', 'retry rounds after the first attempt', wholeNumber(), 4)
    .option('--concurrency <n>', 'block requests in flight', wholeNumber(1), 8)
    .option('--quiet', 'no progress on stderr')
    .action(async (cid: string, o: { out: string; rpc?: string; gateway: string[]; peer: string[]; timeout: number; retries: number; concurrency: number; quiet?: boolean }) => {
      const backends: IpfsSettings['backends'] = [];
      if (o.rpc) backends.push({ type: 'kubo', url: o.rpc });
      if (o.gateway.length > 0) backends.push({ type: 'gateway', urls: o.gateway });
      if (o.peer.length > 0) backends.push({ type: 'helia', peers: o.peer });
      if (backends.length === 0) {
        process.stderr.write('hls-chips ipfs get: give --rpc URL, --gateway URL or --peer MULTIADDR\n');
        process.exitCode = 2;
        return;
      }
      const t0 = Date.now();
      let lastPrint = 0;
      const onProgress = (p: FetchProgress): void => {
        if (o.quiet || Date.now() - lastPrint < 250) return;
        lastPrint = Date.now();
        const rate = p.bytes / Math.max(0.001, (Date.now() - t0) / 1000);
        process.stderr.write(`\r${fmtBytes(p.bytes)} / ${p.total === undefined ? '?' : fmtBytes(p.total)}  ${fmtBytes(rate)}/s   `);
      };
      let fetcher;
      try {
        const { createFetcher } = await import('@hls/ipfs');
        fetcher = await createFetcher({ backends, timeout_ms: o.timeout, retries: o.retries, concurrency: o.concurrency });
        const r = await fetcher.fetchToFile(cid, o.out, { onProgress, context: { label: o.out } });
        if (!o.quiet) process.stderr.write(`\r${fmtBytes(r.bytes)} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
        process.stdout.write(`${JSON.stringify({ cid: r.cid, path: r.path, bytes: r.bytes, blocksFetched: r.blocksFetched, blocksReused: r.blocksReused, reused: r.reused })}\n`);
      } catch (e) {
        if (!o.quiet && lastPrint > 0) process.stderr.write('\n');
        process.stderr.write(`hls-chips ipfs get ${cid}: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
      } finally {
        await fetcher?.close();
      }
    });
}

export function fmtBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
