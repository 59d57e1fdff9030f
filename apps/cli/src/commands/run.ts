// hls-chips run --config FILE: the pipeline against the configured sources, same progress and summary.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { positiveNumber } from '../options.ts';

export function register(program: Command): void {
  program
    .command('run')
    .description(
      'Run the pipeline end to end against the configured sources (STAC API / catalog / directory, IPFS backends, CDL). ' +
        'Checks every configured file and source first and stops, naming the key or URL, before any work.',
    )
    .option('-c, --config <file>', 'config YAML (default: $HLS_CONFIG; env variables override keys)')
    .option('--run-id <id>', 'run id (default: resume the last unfinished run, else a new one)')
    .option('--processes', 'run every service in its own process (2 replicas of reprojector and chipper)')
    .option('--nats <mode>', "'private' (a nats-server under data_dir) or 'config' (nats.url / NATS_URL)", process.env.NATS_URL ? 'config' : 'private')
    .option('--timeout <seconds>', 'give up after this long', positiveNumber, 86400)
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (o: { config?: string; runId?: string; processes?: boolean; nats: string; timeout: number; json?: boolean }) => {
      const file = o.config ?? process.env.HLS_CONFIG;
      if (!file) throw new Error('run: no config: pass --config FILE or set HLS_CONFIG');
      const [{ loadConfig }, { SERVICES }, { exitCode, formatSummary, preflight, runPipeline }, { createServices, serviceEntry }] = await Promise.all([
        import('@hls/config'),
        import('@hls/contracts/flow'),
        import('@hls/pipeline'),
        import('../registry.ts'),
      ]);
      const config = loadConfig({ file });
      if (o.nats !== 'private' && o.nats !== 'config') throw new Error(`--nats must be 'private' or 'config', got ${JSON.stringify(o.nats)}`);
      await preflight(config);
      const r = await runPipeline({
        config: { ...config, data_dir: resolve(config.data_dir) },
        chipPayload: resolve(config.chip_payload_filename as string),
        gridKml: resolve(config.grid_kml as string),
        services: createServices(SERVICES),
        nats: o.nats,
        label: 'run',
        progress: process.stderr,
        timeoutMs: o.timeout * 1000,
        ...(o.runId ? { runId: o.runId } : {}),
        ...(o.processes ? { processes: { argv: serviceEntry, replicas: { reprojector: 2, chipper: 2 } } } : {}),
      });
      if (o.json) console.log(JSON.stringify(r, null, 1));
      else console.log(formatSummary(r));
      // Idle keep-alive sockets of the local servers would hold the process for seconds: the work is done.
      process.exit(exitCode(r));
    });
}
