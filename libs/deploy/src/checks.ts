// Cross-reference checks of the deploy files against the code: every service has a Deployment and a
// compose service that run `service <name>` with a config that loads; probes hit the health server on
// health_port; the web page has a Deployment and a Service; ScaledObjects scale real Deployments on
// every consumer name the services create, through the NATS release's headless service; the stream
// replicas match its servers; the Dockerfile builds the one image the others run.
import { consumerName } from '@hls/bus';
import { loadConfig, type Config } from '@hls/config';
import { ConfigSchema, SERVICES, SERVICE_SUBJECTS, STREAMS, type ServiceName } from '@hls/contracts';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { execForm, parseDockerfile, stageEnv } from './dockerfile.ts';
import { buildKustomization, readYamlDocs, type K8sDoc, type Problem } from './kustomize.ts';
import { NATS_VALUES, readNatsRelease, type NatsRelease, type NatsValues } from './nats-release.ts';
import { validateCompose, validateNatsJetStreamTrigger } from './schemas.ts';
import { strictFieldErrors } from './strict-fields.ts';

/** Where the containers find the config; the image's CMD and every manifest pass it with --config. */
export const CONFIG_PATH = '/etc/hls/config.yaml';
/** The CLI entry the image runs. */
export const ENTRYPOINT = ['node', 'apps/cli/src/main.ts'];
/** Services KEDA scales on consumer lag. */
export const SCALED_SERVICES: readonly ServiceName[] = ['ipfs-fetcher', 'reprojector', 'chipper'];
const DEFAULT_HEALTH_PORT = ConfigSchema.parse({}).health_port;

/** The durable consumer names of a service: one per subject it consumes. */
export const serviceConsumers = (service: ServiceName): string[] => SERVICE_SUBJECTS[service].map((s) => consumerName(service, s));

const isService = (name: string): name is ServiceName => (SERVICES as readonly string[]).includes(name);

/** Load a config with an environment; a ConfigError becomes the returned message. */
function tryLoadConfig(file: string, env: Record<string, string>): { config?: Config; error?: string } {
  try {
    return { config: loadConfig({ file, env }) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** The config a service runs with: `service <name> --config <path>` from its arguments. */
function serviceArgs(args: readonly string[] | undefined): { name?: string; config?: string } {
  if (!args || args[0] !== 'service') return {};
  const i = args.indexOf('--config') >= 0 ? args.indexOf('--config') : args.indexOf('-c');
  return { ...(args[1] ? { name: args[1] } : {}), ...(i >= 0 && args[i + 1] ? { config: args[i + 1] } : {}) };
}

// ---------------------------------------------------------------- Dockerfile

export function checkDockerfile(root: string): Problem[] {
  const file = 'Dockerfile';
  const problems: Problem[] = [];
  const p = (message: string) => problems.push({ file, message });
  const path = join(root, file);
  if (!existsSync(path)) return [{ file, message: 'missing' }];
  const df = parseDockerfile(readFileSync(path, 'utf8'));
  if (df.stages.length < 2) p(`expected a multi-stage build (deps + runtime), found ${df.stages.length} stage(s)`);
  const deps = df.stages.find((s) => s.instructions.some((i) => i.keyword === 'RUN' && /\bnpm (ci|install)\b/.test(i.args)));
  if (!deps?.name) p('no named stage installs the dependencies (`npm ci` or `npm install`)');
  const runtime = df.stages[df.stages.length - 1];
  if (!runtime) return problems;
  if (!/^node:22(\.[\d.]+)?-slim$/.test(runtime.from)) p(`runtime stage is FROM ${runtime.from}, expected node:22-slim`);
  if (deps && runtime === deps) p('the runtime stage is the one that installs the dependencies (no separate deps stage)');
  if (deps?.name && !runtime.instructions.some((i) => i.keyword === 'COPY' && i.args.includes(`--from=${deps.name}`)))
    p(`runtime stage does not COPY --from=${deps.name}`);
  const user = [...runtime.instructions].reverse().find((i) => i.keyword === 'USER');
  if (!user || /^(root|0)(:|$)/.test(user.args)) p('runtime stage must switch to a non-root USER');
  const entry = runtime.instructions.filter((i) => i.keyword === 'ENTRYPOINT').pop();
  const entryArgs = entry ? execForm(entry.args) : undefined;
  if (JSON.stringify(entryArgs) !== JSON.stringify(ENTRYPOINT)) p(`ENTRYPOINT must be ${JSON.stringify(ENTRYPOINT)} (exec form), found ${entry?.args ?? 'none'}`);
  const cmd = runtime.instructions.filter((i) => i.keyword === 'CMD').pop();
  const cmdArgs = cmd ? execForm(cmd.args) : undefined;
  const sa = serviceArgs(cmdArgs);
  if (!sa.name || !isService(sa.name)) p(`CMD must be ["service", <one of ${SERVICES.join(', ')}>, ...], found ${cmd?.args ?? 'none'}`);
  const expose = runtime.instructions.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
  if (!expose.some((e) => Number(e.split('/')[0]) === DEFAULT_HEALTH_PORT)) p(`runtime stage does not EXPOSE the health port ${DEFAULT_HEALTH_PORT}`);
  if (df.stages.some((s) => s.instructions.some((i) => i.keyword === 'RUN' && /gdal/i.test(i.args)))) p('installs GDAL, which the services do not need');
  // Every HLS_<KEY> variable overrides a config key: the image's own environment must leave a config loadable.
  const env = stageEnv(runtime);
  const r = tryLoadConfig(join(root, 'deploy/config/config.yaml'), env);
  if (r.error) p(`the runtime stage's ENV breaks config loading: ${r.error}`);
  for (const i of df.stages.flatMap((st) => st.instructions).filter((x) => x.keyword === 'COPY' && !x.args.includes('--from'))) {
    const srcs = (execForm(i.args) ?? i.args.split(/\s+/).filter((a) => !a.startsWith('--'))).slice(0, -1);
    for (const s of srcs) if (!existsSync(join(root, s))) p(`line ${i.line}: COPY source ${s} does not exist`);
  }
  if (!existsSync(join(root, ENTRYPOINT[1] as string))) p(`entrypoint ${ENTRYPOINT[1]} does not exist`);
  const ignore = existsSync(join(root, '.dockerignore')) ? readFileSync(join(root, '.dockerignore'), 'utf8').split(/\r?\n/).map((l) => l.trim()) : undefined;
  if (!ignore) problems.push({ file: '.dockerignore', message: 'missing' });
  else {
    for (const must of ['node_modules', '.git'])
      if (!ignore.some((l) => l === must || l === `**/${must}`)) problems.push({ file: '.dockerignore', message: `does not exclude ${must}` });
    for (const keep of ['apps', 'libs', 'package.json', 'package-lock.json', 'apps/cli/src/main.ts'])
      if (ignore.includes(keep)) problems.push({ file: '.dockerignore', message: `excludes ${keep}, which the image needs` });
  }
  return problems;
}

// ---------------------------------------------------------------- docker-compose.yml

interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: (string | { type: string; source?: string; target?: string })[];
  depends_on?: string[] | Record<string, unknown>;
  ports?: (string | number | { target?: number })[];
}
interface ComposeFile {
  services?: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

function composeEnv(s: ComposeService): Record<string, string> {
  if (Array.isArray(s.environment))
    return Object.fromEntries(s.environment.map((e) => [e.split('=')[0] as string, e.includes('=') ? e.slice(e.indexOf('=') + 1) : '']));
  return Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function composeMounts(s: ComposeService): { source: string; target: string; bind: boolean }[] {
  return (s.volumes ?? []).flatMap((v) => {
    if (typeof v === 'string') {
      const [source, target] = v.split(':');
      if (!source || !target) return [];
      return [{ source, target, bind: source.startsWith('.') || source.startsWith('/') }];
    }
    return v.source && v.target ? [{ source: v.source, target: v.target, bind: v.type === 'bind' }] : [];
  });
}

const composeCommand = (s: ComposeService): string[] | undefined => (typeof s.command === 'string' ? s.command.split(/\s+/) : s.command);
const hostOf = (url: string | undefined): string | undefined => {
  try {
    return url ? new URL(url).hostname : undefined;
  } catch {
    return undefined;
  }
};

export function checkCompose(root: string): Problem[] {
  const file = 'docker-compose.yml';
  const path = join(root, file);
  if (!existsSync(path)) return [{ file, message: 'missing' }];
  const { docs, problems } = readYamlDocs(path, root);
  if (problems.length > 0) return problems;
  const p = (message: string) => problems.push({ file, message });
  const schemaError = validateCompose(docs[0]);
  if (schemaError) p(`compose-spec schema: ${schemaError}`);
  const compose = (docs[0] ?? {}) as ComposeFile;
  const services = compose.services ?? {};
  const namedVolumes = Object.keys(compose.volumes ?? {});

  const nats = Object.entries(services).find(([, s]) => s.image?.startsWith('nats'));
  if (!nats) p('no nats service');
  else {
    const cmd = composeCommand(nats[1]) ?? [];
    const sd = cmd.indexOf('-sd') >= 0 ? cmd[cmd.indexOf('-sd') + 1] : undefined;
    if (!cmd.includes('-js')) p(`${nats[0]}: JetStream is not enabled (-js)`);
    if (!sd) p(`${nats[0]}: no JetStream store dir (-sd)`);
    else if (!composeMounts(nats[1]).some((m) => m.target === sd && namedVolumes.includes(m.source)))
      p(`${nats[0]}: store dir ${sd} is not on a named volume (JetStream data would not persist)`);
  }
  const jaeger = Object.entries(services).find(([, s]) => s.image?.startsWith('jaegertracing/'));
  if (!jaeger) p('no Jaeger service');
  else if (!(jaeger[1].ports ?? []).some((x) => String(typeof x === 'object' ? x.target : x).split(':').pop() === '4318'))
    p(`${jaeger[0]}: does not publish OTLP/HTTP port 4318`);
  const kubo = Object.entries(services).find(([, s]) => s.image?.startsWith('ipfs/kubo'));
  if (!kubo) p('no Kubo (ipfs/kubo) service');

  let image: string | undefined;
  let dataVolume: string | undefined;
  for (const name of SERVICES) {
    const s = services[name];
    if (!s) {
      p(`no compose service for ${name}`);
      continue;
    }
    const q = (m: string) => p(`${name}: ${m}`);
    const args = serviceArgs(composeCommand(s));
    if (args.name !== name) q(`command must be ["service", "${name}", "--config", ...], found ${JSON.stringify(s.command)}`);
    const buildCtx = typeof s.build === 'string' ? s.build : s.build?.context;
    if (!s.image && !buildCtx) q('neither image nor build');
    if (buildCtx && !existsSync(join(root, buildCtx, typeof s.build === 'object' && s.build.dockerfile ? s.build.dockerfile : 'Dockerfile')))
      q(`build context ${buildCtx} has no Dockerfile`);
    if (image !== undefined && s.image !== image) q(`image ${s.image} differs from the other services' ${image} (one image for all)`);
    image ??= s.image;
    const env = composeEnv(s);
    if (env.OTEL_SERVICE_NAME !== name) q(`OTEL_SERVICE_NAME is ${env.OTEL_SERVICE_NAME}, expected ${name}`);
    const otelHost = hostOf(env.OTEL_EXPORTER_OTLP_ENDPOINT);
    if (!otelHost || otelHost !== jaeger?.[0]) q(`OTEL_EXPORTER_OTLP_ENDPOINT ${env.OTEL_EXPORTER_OTLP_ENDPOINT} does not point at the Jaeger service`);
    const natsHost = hostOf(env.NATS_URL);
    if (!natsHost || natsHost !== nats?.[0]) q(`NATS_URL ${env.NATS_URL} does not point at the nats service`);
    const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
    if (nats && !deps.includes(nats[0])) q(`does not depend on ${nats[0]}`);
    const mounts = composeMounts(s);
    const cfgMount = mounts.find((m) => m.target === args.config);
    if (!args.config || !cfgMount?.bind) {
      q(`config ${args.config ?? '(no --config)'} is not a file mounted from the repo`);
      continue;
    }
    const cfgFile = resolve(dirname(path), cfgMount.source);
    if (!existsSync(cfgFile)) {
      q(`config source ${cfgMount.source} does not exist`);
      continue;
    }
    const r = tryLoadConfig(cfgFile, env);
    if (r.error || !r.config) {
      q(`config does not load with the service's environment: ${r.error}`);
      continue;
    }
    const data = mounts.find((m) => m.target === r.config?.data_dir);
    if (!data || !namedVolumes.includes(data.source)) q(`data_dir ${r.config.data_dir} is not on a named volume`);
    else if (dataVolume !== undefined && data.source !== dataVolume) q(`data volume ${data.source} differs from the others' ${dataVolume} (must be shared)`);
    else dataVolume = data.source;
    if (name === 'ipfs-fetcher' && kubo) {
      const hosts = r.config.ipfs.backends.flatMap((b) => (b.type === 'kubo' ? [b.url] : b.type === 'gateway' ? b.urls : [])).map(hostOf);
      if (!hosts.includes(kubo[0])) q(`no IPFS backend in the config points at the Kubo service ${kubo[0]}`);
    }
  }
  for (const name of Object.keys(services)) {
    const args = serviceArgs(composeCommand(services[name] as ComposeService));
    if (args.name && !isService(args.name)) p(`${name}: runs unknown service ${args.name}`);
  }
  return problems;
}

// ---------------------------------------------------------------- Kubernetes

type Container = NonNullable<IDeployment['spec']>['template']['spec'] extends infer S
  ? S extends { containers: (infer C)[] }
    ? C
    : never
  : never;

/** Routes of `hls-chips web` (libs/web server.ts) that answer GET 200 once it listens: what its probes may read. */
export const WEB_PROBE_PATHS: readonly string[] = ['/', '/api/config', '/run'];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

function resolvePort(c: Container, port: number | string | undefined): number | undefined {
  if (typeof port === 'number') return port;
  if (port === undefined) return undefined;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((x) => x.name === port)?.containerPort;
}

/**
 * The plain environment a container gets: ConfigMaps named by envFrom (with their prefix), then env
 * values, which win as in Kubernetes. A missing ConfigMap is reported.
 */
function containerEnv(c: Container, configMaps: K8sDoc[], problem: (m: string) => void): Record<string, string> {
  const out: Record<string, string> = {};
  for (const src of c.envFrom ?? []) {
    const name = src.configMapRef?.name;
    if (!name) continue;
    const cm = configMaps.find((x) => x.obj.metadata.name === name)?.obj as IConfigMap | undefined;
    if (!cm) {
      if (src.configMapRef?.optional !== true) problem(`envFrom ConfigMap ${name} is not among the resources`);
      continue;
    }
    for (const [k, v] of Object.entries(cm.data ?? {})) out[`${src.prefix ?? ''}${k}`] = v;
  }
  for (const e of c.env ?? []) if (e.value !== undefined) out[e.name] = e.value;
  return out;
}

/** The value after a flag (`--port 8765` or `--port=8765`). */
function flagValue(args: readonly string[], ...flags: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    for (const f of flags) {
      if (a === f) return args[i + 1];
      if (a.startsWith(`${f}=`)) return a.slice(f.length + 1);
    }
  }
  return undefined;
}

/** What a Deployment runs: one pipeline service, the web page, or something the CLI has not got. */
type Workload = { kind: 'service'; name: ServiceName } | { kind: 'web' } | { kind: 'unknown' };
function workloadOf(args: readonly string[]): Workload {
  if (args[0] === 'service' && isService(args[1] ?? '')) return { kind: 'service', name: args[1] as ServiceName };
  if (args[0] === 'web') return { kind: 'web' };
  return { kind: 'unknown' };
}

/** The config a container mounts: the ConfigMap key behind its --config path, as a file to load. */
function configFileFor(
  d: IDeployment,
  c: Container,
  configPath: string,
  configMaps: K8sDoc[],
  scratch: () => string,
): { file?: string; error?: string } {
  const mount = (c.volumeMounts ?? []).find((m) => configPath === m.mountPath || configPath.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
  if (!mount) return { error: `--config ${configPath} is not under any volumeMount` };
  const vol = d.spec?.template.spec?.volumes?.find((v) => v.name === mount.name);
  const cmName = vol?.configMap?.name;
  if (!cmName) return { error: `volume ${mount.name} mounted at ${mount.mountPath} is not a ConfigMap` };
  const cm = configMaps.find((x) => x.obj.metadata.name === cmName);
  if (!cm) return { error: `ConfigMap ${cmName} is not among the resources` };
  const key = mount.subPath ?? posix.relative(mount.mountPath, configPath);
  if (cm.sources?.[key]) return { file: cm.sources[key] };
  const text = (cm.obj as IConfigMap).data?.[key];
  if (text === undefined) return { error: `ConfigMap ${cmName} has no key ${key}` };
  const f = join(scratch(), `${cmName}-${key}`);
  writeFileSync(f, text);
  return { file: f };
}

/** The web page's Deployment: reachable by its Service, probes on its own port, --out writable. */
function checkWebWorkload(objects: K8sDoc[], d: IDeployment, c: Container, args: readonly string[], q: (m: string) => void): void {
  const host = flagValue(args, '--host') ?? '127.0.0.1';
  if (LOOPBACK_HOSTS.has(host)) q(`web binds --host ${host}: nothing outside the pod reaches it (use 0.0.0.0)`);
  const portArg = flagValue(args, '--port');
  const port = portArg === undefined ? undefined : Number(portArg);
  if (port === undefined || !Number.isInteger(port) || port <= 0) q(`web needs a fixed --port (found ${portArg ?? 'none'})`);
  else if (!c.ports?.some((p) => p.containerPort === port)) q(`--port ${port} is not among the container ports`);
  for (const [label, probe] of [['livenessProbe', c.livenessProbe], ['readinessProbe', c.readinessProbe], ['startupProbe', c.startupProbe]] as const) {
    if (!probe) {
      if (label !== 'startupProbe') q(`no ${label}`);
      continue;
    }
    const path = probe.httpGet?.path ?? '';
    if (!WEB_PROBE_PATHS.includes(path.split('?')[0] as string)) q(`${label} must GET one of ${WEB_PROBE_PATHS.join(', ')} (routes the web server answers), found ${path || 'no httpGet'}`);
    const p = resolvePort(c, probe.httpGet?.port);
    if (port !== undefined && p !== port) q(`${label} port ${String(probe.httpGet?.port)} (${p}) is not the web --port ${port}`);
  }
  // It serves no /metrics: a scrape annotation would only produce failed scrapes.
  if (d.spec?.template.metadata?.annotations?.['prometheus.io/scrape'] === 'true') q('prometheus.io/scrape is true, but `hls-chips web` serves no /metrics');
  const out = flagValue(args, '--out') ?? '.';
  const outMount = (c.volumeMounts ?? []).find((m) => out === m.mountPath || out.startsWith(`${m.mountPath.replace(/\/$/, '')}/`));
  if (!outMount || outMount.readOnly) q(`--out ${out} is not on a writable volumeMount (saved AOI selections go there; the root filesystem is read-only)`);
  const labels = d.spec?.template.metadata?.labels ?? {};
  const services = objects.filter((o) => o.obj.kind === 'Service').map((o) => o.obj as unknown as IService);
  const svc = services.find((s) => {
    const sel = s.spec?.selector ?? {};
    return Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);
  });
  if (!svc) q('no Service selects its pods');
  else if (port !== undefined && !svc.spec?.ports?.some((sp) => resolvePort(c, sp.targetPort ?? sp.port) === port))
    q(`Service ${svc.metadata?.name} has no port whose targetPort is the web --port ${port}`);
}

export interface K8sCheckOptions {
  /** What each service consumes (default: SERVICE_SUBJECTS from contracts); tests pass a renamed subject. */
  serviceSubjects?: Readonly<Record<ServiceName, readonly string[]>>;
}

export function checkDeployments(root: string, objects: K8sDoc[], nats?: NatsRelease): Problem[] {
  const problems: Problem[] = [];
  const deployments = objects.filter((o) => o.obj.kind === 'Deployment');
  const configMaps = objects.filter((o) => o.obj.kind === 'ConfigMap');
  const pvcs = objects.filter((o) => o.obj.kind === 'PersistentVolumeClaim');
  let tmp: string | undefined;
  const scratch = () => (tmp ??= mkdtempSync(join(tmpdir(), 'hls-deploy-check-')));
  const runs = (d: K8sDoc) => {
    const c = (d.obj as unknown as IDeployment).spec?.template.spec?.containers[0];
    return workloadOf([...(c?.command ?? []), ...(c?.args ?? [])]);
  };
  try {
    for (const name of SERVICES) {
      const found = deployments.filter((d) => d.obj.metadata.name === name);
      if (found.length !== 1) problems.push({ file: 'deploy/k8s/base', message: `expected one Deployment named ${name}, found ${found.length}` });
    }
    const webs = deployments.filter((d) => runs(d).kind === 'web');
    if (webs.length !== 1) problems.push({ file: 'deploy/k8s/base', message: `expected one Deployment running \`hls-chips web\` (the run page), found ${webs.length}` });
    for (const doc of deployments) {
      const d = doc.obj as unknown as IDeployment;
      const file = relative(root, doc.file);
      const q = (m: string) => problems.push({ file, message: `Deployment ${d.metadata?.name}: ${m}` });
      const pod = d.spec?.template.spec;
      const c = pod?.containers[0];
      if (!c || !pod) {
        q('no container');
        continue;
      }
      const argv = [...(c.command ?? []), ...(c.args ?? [])];
      const work = workloadOf(argv);
      if (work.kind === 'unknown') {
        q(`args must run ["service", <one of ${SERVICES.join(', ')}>, ...] or ["web", ...], found ${JSON.stringify(c.args)}`);
        continue;
      }
      if (work.kind === 'service' && work.name !== d.metadata?.name) q(`runs service ${work.name}, but the Deployment is named ${d.metadata?.name}`);
      if (pod.securityContext?.runAsNonRoot !== true && c.securityContext?.runAsNonRoot !== true) q('does not set runAsNonRoot');
      for (const kind of ['requests', 'limits'] as const)
        for (const r of ['cpu', 'memory'])
          if (c.resources?.[kind]?.[r] === undefined) q(`no resources.${kind}.${r}`);
      const env = containerEnv(c, configMaps, q);
      if (work.kind === 'service') {
        if (env.OTEL_SERVICE_NAME !== d.metadata?.name) q(`OTEL_SERVICE_NAME is ${env.OTEL_SERVICE_NAME}, expected ${d.metadata?.name}`);
        if (!hostOf(env.OTEL_EXPORTER_OTLP_ENDPOINT)) q(`OTEL_EXPORTER_OTLP_ENDPOINT ${env.OTEL_EXPORTER_OTLP_ENDPOINT} is not a URL`);
      }
      if (!env.NATS_URL?.startsWith('nats://') && !env.NATS_URL?.startsWith('tls://')) q(`NATS_URL ${env.NATS_URL} is not a nats:// URL`);
      else if (nats) {
        const u = new URL(env.NATS_URL);
        const want = `${nats.clientHost}:${nats.clientPort}`;
        if (`${u.hostname}:${u.port || 4222}` !== want) q(`NATS_URL ${env.NATS_URL} is not the client service of the NATS release ${nats.release} (${want})`);
      }

      const configPath = flagValue(argv, '--config', '-c');
      const cfg = configFileFor(d, c, configPath ?? CONFIG_PATH, configMaps, scratch);
      if (!configPath) q('no --config argument');
      if (cfg.error || !cfg.file) {
        q(cfg.error ?? 'no config');
        continue;
      }
      const r = tryLoadConfig(cfg.file, env);
      if (r.error || !r.config) {
        q(`config does not load with the container's environment: ${r.error}`);
        continue;
      }
      if (nats && r.config.nats.replicas !== nats.servers)
        q(`nats.replicas is ${r.config.nats.replicas} with the container's environment, but the NATS release ${nats.release} runs ${nats.servers} server(s): the stream and KV buckets need one replica per server`);
      const dataMount = (c.volumeMounts ?? []).find((m) => m.mountPath === r.config?.data_dir);
      const dataVol = pod.volumes?.find((v) => v.name === dataMount?.name);
      const claim = dataVol?.persistentVolumeClaim?.claimName;
      if (!claim) q(`data_dir ${r.config.data_dir} is not mounted from a PersistentVolumeClaim`);
      else {
        const pvc = pvcs.find((x) => x.obj.metadata.name === claim)?.obj as IPersistentVolumeClaim | undefined;
        if (!pvc) q(`PersistentVolumeClaim ${claim} is not among the resources`);
        else if (!pvc.spec?.accessModes?.includes('ReadWriteMany')) q(`PersistentVolumeClaim ${claim} is not ReadWriteMany (replicas on several nodes share it)`);
      }
      if (work.kind === 'web') {
        checkWebWorkload(objects, d, c, argv, q);
        continue;
      }
      const healthPort = r.config.health_port;
      if (LOOPBACK_HOSTS.has(r.config.health_host)) q(`health_host ${r.config.health_host}: the kubelet's probes and Prometheus cannot reach the pod (use 0.0.0.0)`);
      const probes = [
        ['livenessProbe', c.livenessProbe, '/healthz'],
        ['readinessProbe', c.readinessProbe, '/readyz'],
        ['startupProbe', c.startupProbe, '/healthz'],
      ] as const;
      for (const [label, probe, want] of probes) {
        if (!probe) {
          if (label !== 'startupProbe') q(`no ${label}`);
          continue;
        }
        if (probe.httpGet?.path !== want) q(`${label} must GET ${want}, found ${probe.httpGet?.path ?? 'no httpGet'}`);
        const port = resolvePort(c, probe.httpGet?.port);
        if (port !== healthPort) q(`${label} port ${String(probe.httpGet?.port)} (${port}) is not health_port ${healthPort}`);
      }
      const ann = d.spec?.template.metadata?.annotations ?? {};
      if (ann['prometheus.io/port'] !== undefined && Number(ann['prometheus.io/port']) !== healthPort)
        q(`prometheus.io/port ${ann['prometheus.io/port']} is not health_port ${healthPort}`);
      if (ann['prometheus.io/path'] !== undefined && ann['prometheus.io/path'] !== '/metrics') q(`prometheus.io/path ${ann['prometheus.io/path']} is not /metrics`);
    }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  return problems;
}

export function checkScaledObjects(root: string, objects: K8sDoc[], nats?: NatsRelease, opts: K8sCheckOptions = {}): Problem[] {
  const subjects = opts.serviceSubjects ?? SERVICE_SUBJECTS;
  const problems: Problem[] = [];
  const deployments = objects.filter((o) => o.obj.kind === 'Deployment');
  const scaled = objects.filter((o) => o.obj.kind === 'ScaledObject');
  for (const service of SCALED_SERVICES)
    if (!scaled.some((s) => (s.obj as unknown as IScaledObject).spec.scaleTargetRef.name === service))
      problems.push({ file: 'deploy/k8s/base', message: `no ScaledObject for ${service}` });
  for (const doc of scaled) {
    const so = doc.obj as unknown as IScaledObject;
    const file = relative(root, doc.file);
    const q = (m: string) => problems.push({ file, message: `ScaledObject ${so.metadata?.name}: ${m}` });
    const ref = so.spec.scaleTargetRef;
    if ((ref.kind ?? 'Deployment') !== 'Deployment') q(`targets a ${ref.kind}, expected a Deployment`);
    const target = deployments.find((d) => d.obj.metadata.name === ref.name);
    if (!target) {
      q(`target Deployment ${ref.name} does not exist`);
      continue;
    }
    if (!isService(ref.name)) {
      q(`target ${ref.name} is not a pipeline service`);
      continue;
    }
    const expected = subjects[ref.name].map((s) => consumerName(ref.name, s));
    const seen = new Set<string>();
    for (const t of so.spec.triggers) {
      if (t.type !== 'nats-jetstream') {
        q(`trigger type ${t.type}, expected nats-jetstream`);
        continue;
      }
      const err = validateNatsJetStreamTrigger(t.metadata);
      if (err) q(`nats-jetstream metadata: ${err}`);
      const m = t.metadata;
      if (m.stream !== STREAMS.events.name) q(`stream ${m.stream}, expected ${STREAMS.events.name}`);
      if (m.consumer !== undefined && !expected.includes(m.consumer)) q(`consumer ${m.consumer} is not one of ${ref.name}'s durable consumers (${expected.join(', ')})`);
      if (m.consumer) seen.add(m.consumer);
      if (nats && m.natsServerMonitoringEndpoint !== nats.monitoringEndpoint)
        q(
          `natsServerMonitoringEndpoint ${m.natsServerMonitoringEndpoint} is not ${nats.monitoringEndpoint}, the headless service of the NATS release ${nats.release} ` +
            '(on a cluster KEDA queries the consumer leader as <pod>.<endpoint>, which only the headless service resolves)',
        );
    }
    for (const c of expected) if (!seen.has(c)) q(`no trigger on consumer ${c}: lag there would not scale ${ref.name}`);
  }
  return problems;
}

/** NATS Helm values: JetStream on file storage, monitoring on (KEDA reads consumer lag from it). */
export function checkNatsHelm(root: string, values: NatsValues): Problem[] {
  const file = NATS_VALUES;
  const problems: Problem[] = [];
  if (values.config?.jetstream?.enabled !== true) problems.push({ file, message: 'config.jetstream.enabled is not true' });
  if (values.config?.jetstream?.fileStore?.enabled === false) problems.push({ file, message: 'config.jetstream.fileStore is disabled (JetStream needs file storage)' });
  if (values.config?.monitor?.enabled === false) problems.push({ file, message: 'config.monitor.enabled is false (KEDA reads consumer lag from the monitoring port)' });
  if (values.headlessService?.enabled === false) problems.push({ file, message: 'headlessService.enabled is false (KEDA reaches each server through it)' });
  return problems;
}

export interface CheckOptions extends K8sCheckOptions {
  /** Type-check every object for unknown fields (a few seconds: it runs the TypeScript checker). */
  strictFields?: boolean;
}

export function checkK8s(root: string, opts: CheckOptions = {}): Problem[] {
  const base = buildKustomization(join(root, 'deploy/k8s/base'), root);
  const nats = readNatsRelease(root);
  const problems = [
    ...base.problems,
    ...nats.problems,
    ...checkNatsHelm(root, nats.values),
    ...checkDeployments(root, base.objects, nats.release),
    ...checkScaledObjects(root, base.objects, nats.release, opts),
  ];
  const objects = [...base.objects];
  const overlays = join(root, 'deploy/k8s/overlays');
  if (existsSync(overlays))
    for (const o of readdirSync(overlays)) {
      const dir = join(overlays, o);
      if (!statSync(dir).isDirectory()) continue;
      const build = buildKustomization(dir, root);
      problems.push(...build.problems);
      objects.push(...build.objects.filter((x) => !base.objects.some((b) => b.file === x.file && b.obj.kind === x.obj.kind && b.obj.metadata.name === x.obj.metadata.name)));
    }
  if (opts.strictFields !== false) {
    const errors = strictFieldErrors(objects.map((o) => o.obj));
    objects.forEach((o, i) => {
      for (const e of errors[i] ?? []) problems.push({ file: relative(root, o.file), message: `${o.obj.kind} ${o.obj.metadata.name}: ${e}` });
    });
  }
  return problems;
}

/** Every check over the repo at root; an empty list means the deploy files are consistent. */
export function checkDeploy(repoRoot: string, opts: CheckOptions = {}): Problem[] {
  const root = resolve(repoRoot);
  return [...checkDockerfile(root), ...checkCompose(root), ...checkK8s(root, opts)];
}
