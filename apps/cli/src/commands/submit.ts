// hls-chips submit --config FILE: start a run on services that are already running (docker-compose,
// Kubernetes, `hls-chips services`) through nats.url / NATS_URL, and follow it to the same summary as `run`.
// `--demo` submits the sample world instead, its granule folders and CDL read in place: with --data-dir on a
// volume every service mounts at the same path (compose: /data), the deployed services need nothing else.
// Libraries load when the command runs (start-up stays light: see main.ts).
import { resolve } from 'node:path';
import type { Config } from '@hls/contracts';
import type { Command } from 'commander';
import { positiveNumber } from '../options.ts';

interface SubmitFlags {
  config?: string;
  demo?: boolean;
  dataDir: string;
  small?: boolean;
  runId?: string;
  detach?: boolean;
  timeout: number;
  json?: boolean;
}

/** The sample world's run config: granule folders as the STAC source and band source, in place. */
async function demoRunConfig(o: SubmitFlags, say: (l: string) => void): Promise<Config> {
  const [{ loadConfig }, { demoConfig }, { DEFAULT_WORLD, SMALL_WORLD, ensureWorld }] = await Promise.all([import('@hls/config'), import('@hls/local-stack'), import('@hls/world')]);
  const dataDir = resolve(o.dataDir);
  const world = await ensureWorld({ dataDir, options: o.small ? SMALL_WORLD : DEFAULT_WORLD, log: say });
  const base = demoConfig(dataDir, world, 'http://127.0.0.1:1', 'http://127.0.0.1:1');
  // NATS as any command takes it (the config file, NATS_URL and the other NATS_* variables).
  const nats = loadConfig({ ...(o.config ? { file: o.config } : {}) }).nats;
  return { ...base, nats, stac: { ...base.stac, type: 'directory', path: world.granuleDir }, band_sources: ['local'] };
}

export function register(program: Command): void {
  program
    .command('submit')
    .description(
      'Submit a run to running services (nats.url / NATS_URL): upload its inputs (chip payload and twin, the tile grid, ' +
        'the reclass table, the config) to the JetStream object store, request it, and follow it to its summary. ' +
        'data_dir and cdl.source are paths (or a COG URL) as the services see them.',
    )
    .option('-c, --config <file>', 'config YAML (default: $HLS_CONFIG; env variables override keys)')
    .option('--demo', 'submit the sample world (built under --data-dir when missing), bands read in place from its granule folders')
    .option('--data-dir <dir>', 'with --demo: where the world and the outputs go, a path every service sees (compose: /data/demo)', './data-demo')
    .option('--small', 'with --demo: the small world (10 chips)')
    .option('--run-id <id>', 'run id (default: run-<time>); a run id submitted before is resumed with its first inputs')
    .option('--detach', 'print the run id and return once the run is requested (follow it with `hls-chips status RUN`)')
    .option('--timeout <seconds>', 'stop following after this long', positiveNumber, 86400)
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (o: SubmitFlags) => {
      const [{ Bus }, { loadConfig }, { withoutSecrets }, { exitCode, follow, formatSummary, newRunId, submitRun }, { createLogger }] = await Promise.all([
        import('@hls/bus'),
        import('@hls/config'),
        import('@hls/contracts'),
        import('@hls/pipeline'),
        import('@hls/telemetry'),
      ]);
      const say = (l: string): void => void process.stderr.write(`${l}\n`);
      const file = o.config ?? process.env.HLS_CONFIG;
      if (!file && !o.demo) throw new Error('submit: no config: pass --config FILE (or --demo), or set HLS_CONFIG');
      const config = o.demo ? await demoRunConfig(o, say) : loadConfig({ file });
      const runId = o.runId ?? newRunId(o.demo ? 'demo' : 'run');
      const bus = await Bus.connect({ nats: config.nats, name: 'hls-chips submit', log: createLogger({ name: 'submit', level: 'warn' }) });
      let code: number;
      try {
        const t0 = performance.now();
        await submitRun({ bus, config, runId, note: say });
        if (o.detach) {
          console.log(runId);
          return;
        }
        say(`run ${runId}: requested on ${withoutSecrets(config).nats.url}; following (Ctrl-C stops following, not the run)`);
        // Ctrl-C stops following only: the run goes on in the services.
        const stop = new AbortController();
        const onSignal = (sig: NodeJS.Signals): void => stop.abort(`${sig}: stopped following; the run goes on (hls-chips status ${runId})`);
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const r = await follow(bus, { runId, t0, progress: process.stderr, timeoutMs: o.timeout * 1000, signal: stop.signal });
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        if (o.json) console.log(JSON.stringify(r, null, 1));
        else console.log(formatSummary(r));
        code = exitCode(r);
      } finally {
        await bus.close();
      }
      process.exit(code);
    });
}
