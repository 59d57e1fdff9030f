// hls-chips submit --config FILE: start a run on services that are already running (docker-compose,
// Kubernetes, `hls-chips services`) through nats.url / NATS_URL, and follow it to the same summary as `run`.
import { Bus } from '@hls/bus';
import { loadConfig } from '@hls/config';
import { withoutSecrets } from '@hls/contracts';
import { exitCode, follow, formatSummary, newRunId, submitRun } from '@hls/pipeline';
import { createLogger } from '@hls/telemetry';
import type { Command } from 'commander';
import { positiveNumber } from '../options.ts';

export function register(program: Command): void {
  program
    .command('submit')
    .description(
      'Submit a run to running services (nats.url / NATS_URL): upload its inputs (chip payload and twin, the tile grid, ' +
        'the reclass table, the config) to the JetStream object store, request it, and follow it to its summary. ' +
        'data_dir and cdl.source are paths (or a COG URL) as the services see them.',
    )
    .option('-c, --config <file>', 'config YAML (default: $HLS_CONFIG; env variables override keys)')
    .option('--run-id <id>', 'run id (default: run-<time>); a run id submitted before is resumed with its first inputs')
    .option('--detach', 'print the run id and return once the run is requested (follow it with `hls-chips status RUN`)')
    .option('--timeout <seconds>', 'stop following after this long', positiveNumber, 86400)
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (o: { config?: string; runId?: string; detach?: boolean; timeout: number; json?: boolean }) => {
      const file = o.config ?? process.env.HLS_CONFIG;
      if (!file) throw new Error('submit: no config: pass --config FILE or set HLS_CONFIG');
      const config = loadConfig({ file });
      const runId = o.runId ?? newRunId('run');
      const say = (l: string): void => void process.stderr.write(`${l}\n`);
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
