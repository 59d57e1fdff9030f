// The NATS the manifests run against, as the official Helm chart (nats-io/k8s, chart `nats` 1.x) names
// it: release and namespace from the install command in deploy/k8s/nats/README.md, services, ports and
// cluster size from deploy/k8s/nats/values.yaml and the chart's defaults. The Deployments' NATS_URL,
// the ScaledObjects' monitoring endpoint and the stream replicas are checked against it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readYamlDocs, type Problem } from './kustomize.ts';

export const NATS_VALUES = 'deploy/k8s/nats/values.yaml';
export const NATS_README = 'deploy/k8s/nats/README.md';

/** Chart defaults that the addresses depend on (chart `nats` 1.x values.yaml / _helpers.tpl). */
const CHART = { name: 'nats', clientPort: 4222, monitorPort: 8222, clusterReplicas: 3 } as const;

export interface NatsRelease {
  release: string;
  namespace: string;
  /** The ClusterIP client service: `nats.nats.svc.cluster.local`. */
  clientHost: string;
  clientPort: number;
  /**
   * `host:port` for KEDA's natsServerMonitoringEndpoint: the headless service and the monitor port. On a
   * cluster KEDA queries the consumer's leader as `<pod>.<endpoint>`, which only the headless service
   * resolves.
   */
  monitoringEndpoint: string;
  /** Servers in the cluster, hence the stream and KV replicas. */
  servers: number;
  monitorEnabled: boolean;
}

export interface NatsValues {
  nameOverride?: string;
  fullnameOverride?: string;
  service?: { name?: string };
  headlessService?: { name?: string; enabled?: boolean };
  config?: {
    nats?: { port?: number };
    cluster?: { enabled?: boolean; replicas?: number };
    jetstream?: { enabled?: boolean; fileStore?: { enabled?: boolean } };
    monitor?: { enabled?: boolean; port?: number };
  };
}

/** `helm upgrade --install <release> <chart> ... -f deploy/k8s/nats/values.yaml` -> release and namespace. */
export function parseHelmInstall(text: string): { release: string; namespace: string } | undefined {
  const line = text.split('\n').find((l) => /\bhelm (upgrade --install|install)\b/.test(l) && l.includes(`-f ${NATS_VALUES}`));
  if (!line) return undefined;
  const words = line.trim().split(/\s+/);
  const at = words.indexOf('helm');
  const rest = words.slice(at + (words[at + 1] === 'upgrade' ? 3 : 2));
  const release = rest[0];
  if (!release || release.startsWith('-')) return undefined;
  const ns = words.findIndex((w) => w === '--namespace' || w === '-n');
  const eq = words.find((w) => w.startsWith('--namespace='));
  return { release, namespace: eq?.slice('--namespace='.length) ?? (ns >= 0 ? words[ns + 1] : undefined) ?? 'default' };
}

/** The chart's `nats.fullname`: the release name when it contains the chart name, else `<release>-<chart>`. */
export function chartFullname(release: string, v: NatsValues): string {
  if (v.fullnameOverride) return v.fullnameOverride.slice(0, 63).replace(/-+$/, '');
  const name = v.nameOverride || CHART.name;
  return (release.includes(name) ? release : `${release}-${name}`).slice(0, 63).replace(/-+$/, '');
}

export function natsReleaseOf(install: { release: string; namespace: string }, v: NatsValues): NatsRelease {
  const full = chartFullname(install.release, v);
  const svc = (name: string) => `${name}.${install.namespace}.svc.cluster.local`;
  const cluster = v.config?.cluster;
  return {
    ...install,
    clientHost: svc(v.service?.name ?? full),
    clientPort: v.config?.nats?.port ?? CHART.clientPort,
    monitoringEndpoint: `${svc(v.headlessService?.name ?? `${full}-headless`)}:${v.config?.monitor?.port ?? CHART.monitorPort}`,
    servers: cluster?.enabled === true ? (cluster.replicas ?? CHART.clusterReplicas) : 1,
    monitorEnabled: v.config?.monitor?.enabled !== false,
  };
}

/** Read the shipped release; problems name the file that does not say what is needed. */
export function readNatsRelease(root: string): { release?: NatsRelease; values: NatsValues; problems: Problem[] } {
  const { docs, problems } = readYamlDocs(join(root, NATS_VALUES), root);
  const values = (docs[0] ?? {}) as NatsValues;
  const readme = join(root, NATS_README);
  const install = existsSync(readme) ? parseHelmInstall(readFileSync(readme, 'utf8')) : undefined;
  if (!install) {
    problems.push({ file: NATS_README, message: `does not show the helm install command with -f ${NATS_VALUES} (release and namespace come from it)` });
    return { values, problems };
  }
  return { release: natsReleaseOf(install, values), values, problems };
}
