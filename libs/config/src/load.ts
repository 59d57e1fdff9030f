// Load the pipeline config: YAML file (optional) -> environment overrides -> zod validation.
// Every error names the key, the bad value and the file it came from.
import { HlsError } from '@hls/common';
import { ConfigSchema, natsCredentials, type Config } from '@hls/contracts';
import { readFileSync } from 'node:fs';
import { configVariables } from './env-keys.ts';
import { parse as parseYaml, YAMLParseError } from 'yaml';

/** A config that cannot be used as written: not retryable, the file or environment must change. */
export class ConfigError extends HlsError {
  readonly key: string | undefined;
  readonly file: string | undefined;
  constructor(message: string, key?: string, file?: string) {
    super('config', message, { retryable: false });
    this.key = key;
    this.file = file;
  }
}

/**
 * The config's NATS credentials as the environment variables above: how a child process gets them,
 * since events, KV and the config files we write never hold them.
 */
export function natsSecretEnv(config: Config): Record<string, string> {
  const c = natsCredentials(config.nats);
  return { ...(c.user ? { NATS_USER: c.user } : {}), ...(c.pass ? { NATS_PASSWORD: c.pass } : {}), ...(c.token ? { NATS_TOKEN: c.token } : {}) };
}

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: string[], value: unknown): void {
  let node = tree;
  for (const p of path.slice(0, -1)) {
    const next = node[p];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[p] = {};
    node = node[p] as Tree;
  }
  node[path[path.length - 1] as string] = value;
}

/** Env values are YAML scalars/flow collections, so `HLS_SELECTED_HLS_BANDS=[B02,B03]` works. */
function envValue(raw: string): unknown {
  try {
    return parseYaml(raw) as unknown;
  } catch {
    return raw;
  }
}

export function envOverrides(env: NodeJS.ProcessEnv): { tree: Tree; sources: Map<string, string> } {
  const tree: Tree = {};
  const sources = new Map<string, string>();
  for (const v of configVariables(env)) {
    setPath(tree, v.path, v.yaml ? envValue(v.value) : v.value);
    sources.set(v.path.join('.'), `environment variable ${v.name}`);
  }
  return { tree, sources };
}

function merge(a: Tree, b: Tree): Tree {
  const out: Tree = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] =
      typeof v === 'object' && v !== null && !Array.isArray(v) && typeof prev === 'object' && prev !== null && !Array.isArray(prev)
        ? merge(prev as Tree, v as Tree)
        : v;
  }
  return out;
}

function valueAt(tree: unknown, path: PropertyKey[]): unknown {
  let node = tree;
  for (const p of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[p];
  }
  return node;
}

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Extra values applied last (command-line flags). */
  overrides?: Tree;
}

/** Read, merge and validate; throws ConfigError naming the key, the bad value and its source. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file;
  let fromFile: Tree = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`, undefined, file);
    }
    try {
      const doc = parseYaml(text) as unknown;
      if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc)))
        throw new ConfigError(`config file ${file} must hold a mapping of keys at the top level`, undefined, file);
      fromFile = (doc ?? {}) as Tree;
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      const where = e instanceof YAMLParseError && e.linePos ? ` at line ${e.linePos[0].line}` : '';
      throw new ConfigError(`config file ${file} is not valid YAML${where}: ${(e as Error).message.split('\n')[0]}`, undefined, file);
    }
  }
  const { tree: fromEnv, sources } = envOverrides(env);
  const merged = merge(merge(fromFile, fromEnv), opts.overrides ?? {});
  const r = ConfigSchema.safeParse(merged);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path ?? [];
  const key = path.map(String).join('.') || '(top level)';
  const keys = issue && 'keys' in issue && Array.isArray(issue.keys) ? (issue.keys as string[]) : [];
  const fullKey = keys.length > 0 ? [key === '(top level)' ? '' : key, keys[0]].filter(Boolean).join('.') : key;
  const source = sources.get(fullKey) ?? (file ? `config file ${file}` : 'defaults');
  const bad = keys.length > 0 ? valueAt(merged, [...path, keys[0] as string]) : valueAt(merged, path);
  throw new ConfigError(
    `config key ${fullKey} from ${source}: ${issue?.message ?? 'invalid'} (value: ${JSON.stringify(bad)})`,
    fullKey,
    file,
  );
}
