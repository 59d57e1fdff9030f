// The process entry every service app uses: config from --config/HLS_CONFIG + env, telemetry,
// JSON logs, then the service(s) until SIGTERM.
import { loadConfig } from '@hls/config';
import { createLogger, startTelemetry } from '@hls/telemetry';
import { runServicesMain, type ServiceDefinition } from './service.ts';

export interface ServiceMainOptions {
  configFile?: string;
  healthPort?: number | false;
  /** Run when the services have stopped (close worker pools, ...). */
  onStopped?: () => Promise<void>;
}

export async function serviceMain(defs: ServiceDefinition[], opts: ServiceMainOptions = {}): Promise<void> {
  const name = defs.map((d) => d.name).join('+');
  const telemetry = startTelemetry(name);
  const log = createLogger({ name });
  const config = loadConfig({ file: opts.configFile ?? process.env.HLS_CONFIG });
  const running = await runServicesMain(defs, {
    config,
    log,
    ...(opts.healthPort !== undefined ? { healthPort: opts.healthPort } : {}),
    onStopped: async () => {
      await opts.onStopped?.();
      await telemetry.shutdown();
    },
  });
  log.info({ services: defs.map((d) => d.name), health: running.health?.port, tracing: telemetry.exporting }, 'services started');
}

/** `--config FILE` from argv, for the apps' own main files. */
export function configArg(argv: string[] = process.argv): string | undefined {
  const i = argv.indexOf('--config');
  return i >= 0 ? argv[i + 1] : undefined;
}
