// hls-chips service NAME | services [NAMES...] | status [RUN_ID]
import { SERVICES } from '@hls/contracts/flow';
import type { Command } from 'commander';
import { port } from '../options.ts';

export function register(program: Command): void {
  program
    .command('service')
    .description('Run one pipeline service (a durable JetStream consumer) until SIGTERM')
    .argument('<name>', `one of: ${SERVICES.join(', ')}`)
    .option('-c, --config <file>', 'config YAML (default: $HLS_CONFIG; env variables override keys)')
    .option('--health-port <port>', 'port for /healthz, /readyz and /metrics (default: health_port from the config)', port)
    .action(async (name: string, o: { config?: string; healthPort?: number }) => {
      const [{ serviceMain }, { createServices, serviceNames, stopAll }] = await Promise.all([import('@hls/runtime'), import('../registry.ts')]);
      const services = createServices(serviceNames([name]));
      await serviceMain(
        services.map((s) => s.def),
        {
          ...(o.config ? { configFile: o.config } : {}),
          ...(o.healthPort !== undefined ? { healthPort: o.healthPort } : {}),
          onStopped: stopAll(services),
        },
      );
    });

  program
    .command('services')
    .description('Run several services (default: all 8) in this one process until SIGTERM')
    .argument('[names...]', `any of: ${SERVICES.join(', ')}`)
    .option('-c, --config <file>', 'config YAML (default: $HLS_CONFIG; env variables override keys)')
    .option('--health-port <port>', 'port for /healthz, /readyz and /metrics', port)
    .action(async (names: string[], o: { config?: string; healthPort?: number }) => {
      const [{ serviceMain }, { createServices, serviceNames, stopAll }] = await Promise.all([import('@hls/runtime'), import('../registry.ts')]);
      const services = createServices(serviceNames(names));
      await serviceMain(
        services.map((s) => s.def),
        {
          ...(o.config ? { configFile: o.config } : {}),
          ...(o.healthPort !== undefined ? { healthPort: o.healthPort } : {}),
          onStopped: stopAll(services),
        },
      );
    });

  program
    .command('status')
    .description('Progress of a run (or the list of runs) from the JetStream KV state')
    .argument('[runId]', 'run id (omit to list runs)')
    .option('-c, --config <file>', 'config YAML (for the NATS connection)')
    .option('--json', 'print JSON')
    .action(async (runId: string | undefined, o: { config?: string; json?: boolean }) => {
      const { printStatus } = await import('../status.ts');
      await printStatus(runId, o);
    });
}
