// Which environment variables configure the pipeline, and whether anything configures this process at all.
// Kept apart from load.ts (zod, YAML): a command that needs one value can learn that nothing is configured
// and take the default without loading either (a step command's start-up).

/** Environment variables that override keys: HLS_<KEY>, `__` between nesting levels (HLS_NATS__URL). */
export const ENV_PREFIX = 'HLS_';

/** HLS_* variables that are process settings, not config keys. */
export const RESERVED_ENV = new Set(['HLS_CONFIG', 'HLS_CLI_START', 'HLS_CLI_FROM_SOURCE', 'HLS_SHUTDOWN_DEADLINE_MS', 'HLS_DEBUG', 'HLS_FIXTURES_DIR', 'HLS_WORLD_FIXTURES_DIR', 'HLS_WEB_BASEMAP']);

/** Well-known variables mapped onto config keys. */
export const WELL_KNOWN: Record<string, string[]> = {
  NATS_URL: ['nats', 'url'],
  NATS_USER: ['nats', 'user'],
  NATS_PASSWORD: ['nats', 'pass'],
  NATS_TOKEN: ['nats', 'token'],
  NATS_CREDS: ['nats', 'creds_file'],
  NATS_CA: ['nats', 'tls', 'ca_file'],
  NATS_CERT: ['nats', 'tls', 'cert_file'],
  NATS_KEY: ['nats', 'tls', 'key_file'],
};

/**
 * Whether loadConfig({ file, env }) could return anything but the defaults: a config file, or an environment
 * variable that sets a key. When not, every key has its schema default.
 */
export function configGiven(file?: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (file) return true;
  if (Object.keys(WELL_KNOWN).some((name) => env[name] !== undefined && env[name] !== '')) return true;
  return Object.entries(env).some(([name, v]) => name.startsWith(ENV_PREFIX) && v !== undefined && !RESERVED_ENV.has(name));
}
