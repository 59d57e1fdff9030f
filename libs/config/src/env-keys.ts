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

/** An environment variable that sets a config key. */
export interface ConfigVariable {
  name: string;
  path: string[];
  value: string;
  /** HLS_<KEY> values are YAML scalars or flow collections; well-known ones are plain text. */
  yaml: boolean;
}

/** The environment variables that set config keys, in the order they apply: the well-known ones, then HLS_<KEY>. */
export function configVariables(env: NodeJS.ProcessEnv): ConfigVariable[] {
  const out: ConfigVariable[] = [];
  for (const [name, path] of Object.entries(WELL_KNOWN)) {
    const value = env[name];
    if (value !== undefined && value !== '') out.push({ name, path, value, yaml: false });
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined || RESERVED_ENV.has(name)) continue;
    out.push({ name, path: name.slice(ENV_PREFIX.length).toLowerCase().split('__'), value, yaml: true });
  }
  return out;
}

/**
 * Whether loadConfig({ file, env }) could return anything but the defaults: a config file, or an environment
 * variable that sets a key. When not, every key has its schema default.
 */
export function configGiven(file?: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(file) || configVariables(env).length > 0;
}
