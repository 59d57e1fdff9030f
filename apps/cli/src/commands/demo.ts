// hls-chips demo: the whole pipeline on a generated sample world, no account and no internet.
import { resolve } from 'node:path';
import { BAND_SOURCES, PROCESSING_MODES } from '@hls/contracts/domain';
import { SERVICES } from '@hls/contracts/flow';
import type { Command } from 'commander';
import { positiveNumber, wholeNumber } from '../options.ts';

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the whole pipeline on a sample world: real chips and tile grid, synthetic HLS scenes and CDL, ' +
        'a local STAC API, a local IPFS provider and a private nats-server. Prints progress per stage and a summary.',
    )
    .option('--data-dir <dir>', 'where the world, the NATS store and the outputs go', './data-demo')
    .option('--seed <n>', 'world seed (the world is cached per seed)', wholeNumber(), 2022)
    .option('--small', 'a small world (10 chips, rasters around the chips only): for tests and a quick look')
    .option('--processes', 'run every service in its own process (2 replicas of reprojector and chipper)')
    .option('--timeout <seconds>', 'give up after this long', positiveNumber, 1800)
    .option('--ack-wait <seconds>', "services' ack wait: how soon a killed run's in-flight work is redelivered on restart", positiveNumber, 120)
    .option('--bands <source>', `where the bands come from: ipfs (the local IPFS provider), local (the granule folders, in place), https (a local LP DAAC emulator with Earthdata Login)`, 'ipfs')
    .option('--processing <mode>', `chips (fetch and warp only the chips' windows) or tiles (whole tiles, as the original)`, 'chips')
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (o: { dataDir: string; seed: number; small?: boolean; processes?: boolean; timeout: number; ackWait: number; bands: string; processing: string; json?: boolean }) => {
      const bands = BAND_SOURCES.find((b) => b === o.bands);
      if (!bands) throw new Error(`--bands must be one of ${BAND_SOURCES.join(', ')}, got '${o.bands}'`);
      const processing = PROCESSING_MODES.find((m) => m === o.processing);
      if (!processing) throw new Error(`--processing must be one of ${PROCESSING_MODES.join(', ')}, got '${o.processing}'`);
      const [{ exitCode, formatSummary, runDemo }, { createServices, serviceEntry }] = await Promise.all([import('@hls/pipeline'), import('../registry.ts')]);
      const r = await runDemo({
        bands,
        processing,
        dataDir: resolve(o.dataDir),
        seed: o.seed,
        small: o.small === true,
        services: createServices(SERVICES),
        progress: process.stderr,
        timeoutMs: o.timeout * 1000,
        ackWaitMs: o.ackWait * 1000,
        ...(o.processes ? { processes: { argv: serviceEntry, replicas: { reprojector: 2, chipper: 2 } } } : {}),
      });
      if (o.json) console.log(JSON.stringify(r, (k, v: unknown) => (k === 'plan' ? undefined : v), 1));
      else console.log(formatSummary(r));
      // Idle keep-alive sockets of the local servers would hold the process for seconds: the work is done.
      process.exit(exitCode(r));
    });
}
