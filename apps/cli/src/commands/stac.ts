// hls-chips stac serve: the local CMR-STAC-like API over a granule directory (tests, the demo).
import type { Command } from 'commander';
import type { Faults } from '@hls/stac';
import { port, wholeNumber } from '../options.ts';


export function register(program: Command): void {
  const stac = program.command('stac').description('STAC tools');
  stac
    .command('serve')
    .description(
      'serve a local granule directory as a CMR-STAC-like STAC API: /search (GET and POST; collections, datetime, intersects, bbox, ' +
        'limit; cursor paging, page size capped), /collections, /collections/<id>/items/<granule>, /data/<granule>/<file>. ' +
        'Routes work under any prefix, e.g. http://HOST:PORT/stac/LPCLOUD/search. Items carry eo:cloud_cover, assets B02 B03 B04 ' +
        'B8A B11 B12 Fmask plus `metadata` (the .cmr.xml, also served) and CIDs (alternate.ipfs) from the mapping file; like ' +
        'CMR-STAC they carry no spatial coverage (clients read the .cmr.xml).\n\n' +
        'DIR layout:\n' +
        '  DIR/<granuleId>/<granuleId>.cmr.xml        ECHO10 metadata, required (e.g. HLS.S30.T15TVG.2022152T170851.v2.0)\n' +
        '  DIR/<granuleId>/<granuleId>.<band>.tif     band files, optional (served under /data)\n' +
        '  DIR/filename_to_cid_mapping.json           optional [{"filename": "<granuleId>.<band>.tif", "cid": "bafy..."}]\n' +
        'Prints one JSON line {url, granules, problems} when listening; stops on SIGINT/SIGTERM.',
    )
    .requiredOption('--dir <dir>', 'granule directory (layout above)')
    .option('--port <port>', 'port (0 = any free port)', port, 0)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--default-limit <n>', 'page size when the client gives none', wholeNumber(1), 10)
    .option('--max-page-size <n>', 'largest page served whatever the client asks', wholeNumber(1), 100)
    .option('--fault-429 <n>', 'answer the next N /search requests with 429', wholeNumber(), 0)
    .option('--retry-after <s>', 'Retry-After seconds sent with the injected 429s', wholeNumber(), 1)
    .option('--fault-500 <n>', 'answer the next N /search requests with 500', wholeNumber(), 0)
    .option('--slow <ms>', 'delay every response by MS', wholeNumber(), 0)
    .option('--repeat-first-page', 'answer page 1 whatever the cursor (the CMR-STAC repeated-page bug)')
    .option('--reject-post', 'answer POST /search with 405 (a GET-only API)')
    .action(async (o: { dir: string; port: number; host: string; defaultLimit: number; maxPageSize: number; fault429: number; retryAfter: number; fault500: number; slow: number; repeatFirstPage?: boolean; rejectPost?: boolean }) => {
      const faults: Faults = {};
      if (o.fault429 > 0) faults.rateLimit = { count: o.fault429, retryAfterSeconds: o.retryAfter };
      if (o.fault500 > 0) faults.serverErrors = o.fault500;
      if (o.slow > 0) faults.slowMs = o.slow;
      if (o.repeatFirstPage) faults.repeatFirstPage = true;
      if (o.rejectPost) faults.rejectPost = true;
      const { startStacServer } = await import('@hls/stac');
      const server = await startStacServer({ dir: o.dir, port: o.port, host: o.host, defaultLimit: Math.max(1, o.defaultLimit), maxPageSize: Math.max(1, o.maxPageSize), faults });
      process.stdout.write(JSON.stringify({ url: server.url, granules: server.granuleCount, problems: server.problems.map((p) => p.message) }) + '\n');
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
}
