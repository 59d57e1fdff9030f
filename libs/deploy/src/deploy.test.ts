// The repo's deploy files pass every schema and cross-reference check, and each check really fires:
// a copy of the files with one defect reports that defect, naming the file.
import { consumerName } from '@hls/bus';
import { SERVICE_SUBJECTS, SERVICES, SUBJECTS } from '@hls/contracts';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import {
  buildKustomization,
  chartFullname,
  checkCompose,
  checkDeploy,
  checkDockerfile,
  checkK8s,
  formatProblem,
  parseDockerfile,
  parseHelmInstall,
  readNatsRelease,
  SCALED_SERVICES,
  serviceConsumers,
  validateCompose,
  validateK8sObject,
  validateNatsJetStreamTrigger,
  type Problem,
} from './index.ts';

/** The cross-reference tests leave the (slower) unknown-field pass to its own test. */
const FAST = { strictFields: false };
const ROOT = resolve(import.meta.dirname, '../../..');
const scratch = mkdtempSync(join(tmpdir(), 'hls-deploy-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the deploy files (and the paths the Dockerfile copies, as stubs) to break one thing in. */
function copyRepo(): string {
  const dir = mkdtempSync(join(scratch, 'repo-'));
  for (const f of ['Dockerfile', '.dockerignore', 'docker-compose.yml', 'deploy']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  for (const f of ['package.json', 'package-lock.json', 'apps/cli/src/main.ts']) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), '');
  }
  mkdirSync(join(dir, 'libs'));
  return dir;
}

/** Replace text in a copied file; fails the test when the text is not there (no silent no-op). */
function edit(dir: string, file: string, from: string | RegExp, to: string): void {
  const p = join(dir, file);
  const before = readFileSync(p, 'utf8');
  const afterText = before.replace(from, to);
  assert.notEqual(afterText, before, `${file}: ${String(from)} not found`);
  writeFileSync(p, afterText);
}

function expectProblem(problems: Problem[], file: string, pattern: RegExp): void {
  const text = problems.map(formatProblem).join('\n');
  assert.ok(
    problems.some((p) => p.file === file && pattern.test(p.message)),
    `expected a problem in ${file} matching ${pattern}; got:\n${text || '(none)'}`,
  );
}

describe('the repo deploy files', () => {
  test('pass every check', () => {
    const problems = checkDeploy(ROOT);
    assert.deepEqual(problems.map(formatProblem), []);
  });

  test('consumer names come from the bus naming rule over the subjects in contracts', () => {
    for (const service of SERVICES) assert.deepEqual(serviceConsumers(service), SERVICE_SUBJECTS[service].map((s) => consumerName(service, s)));
    assert.equal(consumerName('chipper', 'hls.tile.reprojected'), 'chipper--hls_tile_reprojected');
  });

  test('each scaled service has one trigger per durable consumer it creates, through the headless NATS service', () => {
    const nats = readNatsRelease(ROOT).release;
    assert.equal(nats?.monitoringEndpoint, 'nats-headless.nats.svc.cluster.local:8222');
    const scaled = buildKustomization(join(ROOT, 'deploy/k8s/base'), ROOT).objects.filter((o) => o.obj.kind === 'ScaledObject');
    for (const service of SCALED_SERVICES) {
      const so = scaled.map((o) => o.obj as unknown as IScaledObject).find((x) => x.spec.scaleTargetRef.name === service);
      assert.ok(so, `no ScaledObject for ${service}`);
      const consumers = so.spec.triggers.map((t) => t.metadata.consumer).sort();
      // From contracts, not from a list here: a renamed or added subject fails this until the YAML follows.
      assert.deepEqual(consumers, SERVICE_SUBJECTS[service].map((s) => consumerName(service, s)).sort(), service);
      for (const t of so.spec.triggers) assert.equal(t.metadata.natsServerMonitoringEndpoint, nats?.monitoringEndpoint);
    }
  });

  test('the shipped NATS release: 3 servers, so the Deployments run stream and KV replicas 3', () => {
    const nats = readNatsRelease(ROOT).release;
    assert.deepEqual(
      { servers: nats?.servers, client: `${nats?.clientHost}:${nats?.clientPort}` },
      { servers: 3, client: 'nats.nats.svc.cluster.local:4222' },
    );
    const base = buildKustomization(join(ROOT, 'deploy/k8s/base'), ROOT).objects;
    const env = base.find((o) => o.obj.kind === 'ConfigMap' && o.obj.metadata.name === 'hls-env')?.obj as { data?: Record<string, string> } | undefined;
    assert.equal(env?.data?.HLS_NATS__REPLICAS, '3');
    const deployments = base.filter((o) => o.obj.kind === 'Deployment').map((o) => o.obj as unknown as IDeployment);
    for (const d of deployments)
      assert.ok(
        d.spec?.template.spec?.containers[0]?.envFrom?.some((e) => e.configMapRef?.name === 'hls-env'),
        `Deployment ${d.metadata?.name} does not read hls-env`,
      );
    // The eight services and the web page, each named for what it runs.
    assert.deepEqual(deployments.map((d) => d.metadata?.name).sort(), [...SERVICES, 'web'].sort());
  });

  test('release names follow the chart: <release>-headless, or the release when it contains "nats"', () => {
    assert.equal(chartFullname('nats', {}), 'nats');
    assert.equal(chartFullname('hls-nats', {}), 'hls-nats');
    assert.equal(chartFullname('queue', {}), 'queue-nats');
    assert.equal(chartFullname('queue', { fullnameOverride: 'bus' }), 'bus');
    assert.deepEqual(parseHelmInstall('helm install q nats/nats -n mq -f deploy/k8s/nats/values.yaml'), { release: 'q', namespace: 'mq' });
    assert.equal(parseHelmInstall('helm install q nats/nats'), undefined);
  });

  test('the Dockerfile has manifests, deps and runtime stages', () => {
    const df = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    assert.deepEqual(
      df.stages.map((s) => [s.name, s.from]),
      [
        ['manifests', 'node:22-slim'],
        ['deps', 'node:22-slim'],
        ['runtime', 'node:22-slim'],
      ],
    );
  });
});

describe('schemas reject what the real tools would', () => {
  test('compose-spec: unknown service key, bad duration', () => {
    const doc = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, Record<string, unknown> & { healthcheck?: Record<string, unknown> }>;
    };
    assert.equal(validateCompose(doc), undefined);
    (doc.services.nats as Record<string, unknown>).comand = ['-js'];
    (doc.services.nats?.healthcheck as Record<string, unknown>).interval = '5 seconds';
    const err = validateCompose(doc) ?? '';
    assert.match(err, /additional properties \(comand\)/);
    assert.match(err, /healthcheck\/interval must match format "duration"/);
  });

  test('Kubernetes: wrong types in a Deployment, unknown kind', () => {
    const d = parse(readFileSync(join(ROOT, 'deploy/k8s/base/chipper.yaml'), 'utf8')) as { spec: Record<string, unknown> };
    assert.equal(validateK8sObject(d), undefined);
    d.spec.replicas = 'two';
    assert.match(validateK8sObject(d) ?? '', /spec\/replicas must be integer/);
    assert.match(validateK8sObject({ apiVersion: 'v1', kind: 'Pod2', metadata: { name: 'x' } }) ?? '', /no schema for v1\/Pod2/);
  });

  test('KEDA nats-jetstream metadata', () => {
    const ok = { natsServerMonitoringEndpoint: 'nats.nats.svc:8222', account: '$G', stream: 'HLS', consumer: 'c', lagThreshold: '5' };
    assert.equal(validateNatsJetStreamTrigger(ok), undefined);
    assert.match(validateNatsJetStreamTrigger({ ...ok, lagThreshold: 5 }) ?? '', /lagThreshold must be string/);
    assert.match(validateNatsJetStreamTrigger({ ...ok, natsServerMonitoringEndpoint: 'http://nats:8222' }) ?? '', /natsServerMonitoringEndpoint must match/);
    assert.match(validateNatsJetStreamTrigger({ ...ok, consumer: undefined }) ?? '', /required property 'consumer'/);
  });
});

describe('each check fires on a broken copy', () => {
  test('readiness probe on the wrong path', () => {
    const dir = copyRepo();
    edit(dir, 'deploy/k8s/base/reprojector.yaml', 'path: /readyz', 'path: /ready');
    expectProblem(checkK8s(dir, FAST), 'deploy/k8s/base/reprojector.yaml', /readinessProbe must GET \/readyz, found \/ready/);
  });

  test('probes on a port that is not health_port', () => {
    const dir = copyRepo();
    edit(dir, 'deploy/config/config.yaml', /^health_port: \d+$/m, 'health_port: 9000');
    const problems = checkK8s(dir, FAST);
    expectProblem(problems, 'deploy/k8s/base/qa-filter.yaml', /livenessProbe port health \(9464\) is not health_port 9000/);
    expectProblem(problems, 'deploy/k8s/base/qa-filter.yaml', /prometheus.io\/port 9464 is not health_port 9000/);
  });

  test('health on loopback: probes cannot reach it', () => {
    const dir = copyRepo();
    edit(dir, 'deploy/config/config.yaml', /^health_host: .*$/m, 'health_host: 127.0.0.1');
    expectProblem(checkK8s(dir, FAST), 'deploy/k8s/base/qa-filter.yaml', /health_host 127\.0\.0\.1: the kubelet's probes and Prometheus cannot reach the pod \(use 0\.0\.0\.0\)/);
  });

  test('ScaledObject on a consumer the service does not have, and on a missing Deployment', () => {
    const dir = copyRepo();
    edit(dir, 'deploy/k8s/base/scaledobjects.yaml', 'consumer: reprojector--hls_band_fetched', 'consumer: reprojector--hls_band_reprojected');
    edit(dir, 'deploy/k8s/base/scaledobjects.yaml', /scaleTargetRef:\n {4}name: ipfs-fetcher/, 'scaleTargetRef:\n    name: ipfs-fetch');
    const problems = checkK8s(dir, FAST);
    expectProblem(problems, 'deploy/k8s/base/scaledobjects.yaml', /consumer reprojector--hls_band_reprojected is not one of reprojector's durable consumers/);
    expectProblem(problems, 'deploy/k8s/base/scaledobjects.yaml', /target Deployment ipfs-fetch does not exist/);
    expectProblem(problems, 'deploy/k8s/base', /no ScaledObject for ipfs-fetcher/);
  });

  test('a Deployment dropped from the kustomization, a PVC that is not RWX, a schema error', () => {
    const dir = copyRepo();
    edit(dir, 'deploy/k8s/base/kustomization.yaml', '  - qa-filter.yaml\n', '');
    edit(dir, 'deploy/k8s/base/pvc.yaml', '- ReadWriteMany', '- ReadWriteOnce');
    edit(dir, 'deploy/k8s/base/chipper.yaml', 'revisionHistoryLimit: 3', 'revisionHistoryLimit: three');
    const problems = checkK8s(dir, FAST);
    expectProblem(problems, 'deploy/k8s/base', /expected one Deployment named qa-filter, found 0/);
    expectProblem(problems, 'deploy/k8s/base/qa-filter.yaml', /not listed in deploy\/k8s\/base\/kustomization.yaml/);
    expectProblem(problems, 'deploy/k8s/base/chip-index.yaml', /PersistentVolumeClaim hls-data is not ReadWriteMany/);
    expectProblem(problems, 'deploy/k8s/base/chipper.yaml', /schema: .*revisionHistoryLimit must be integer/);
  });

  test('config that fails ConfigSchema, env that overrides it badly, generator file outside the root', () => {
    const dir = copyRepo();
    edit(dir, 'deploy/k8s/base/stac-scout.yaml', '            - name: LOG_LEVEL\n', '            - name: HLS_CLOUD_COVER_THRESHOLD\n              value: "500"\n            - name: LOG_LEVEL\n');
    let problems = checkK8s(dir, FAST);
    expectProblem(problems, 'deploy/k8s/base/stac-scout.yaml', /config does not load .*cloud_cover_threshold from environment variable HLS_CLOUD_COVER_THRESHOLD/);
    edit(dir, 'deploy/config/config.yaml', 'cloud_cover_threshold: 5', 'cloud_cover_threshold: lots');
    problems = [...checkK8s(dir, FAST), ...checkCompose(dir)];
    expectProblem(problems, 'deploy/k8s/base/chipper.yaml', /config does not load .*cloud_cover_threshold/);
    expectProblem(problems, 'docker-compose.yml', /chipper: config does not load .*cloud_cover_threshold/);
    edit(dir, 'deploy/config/kustomization.yaml', '- config.yaml', '- ../../docker-compose.yml');
    expectProblem(checkK8s(dir, FAST), 'deploy/config/kustomization.yaml', /outside the kustomization root/);
  });

  test('unknown fields (typos) that the open OpenAPI schemas let through', () => {
    const dir = copyRepo();
    edit(dir, 'deploy/k8s/base/chip-index.yaml', 'imagePullPolicy: IfNotPresent', 'imagePullPolicyy: IfNotPresent');
    edit(dir, 'deploy/k8s/base/scaledobjects.yaml', /cooldownPeriod: 300(\n  triggers:\n(.*\n){5}\s+consumer: reprojector)/, 'coolDownPeriod: 300$1');
    edit(dir, 'deploy/k8s/overlays/dev/namespace.yaml', 'name: hls-dev', 'name: hls-dev\n  lables: {}');
    const problems = checkK8s(dir);
    expectProblem(problems, 'deploy/k8s/base/chip-index.yaml', /Deployment chip-index: .*'"imagePullPolicyy"' does not exist in type 'IContainer'/);
    expectProblem(problems, 'deploy/k8s/base/scaledobjects.yaml', /ScaledObject reprojector: .*'"coolDownPeriod"' does not exist/);
    expectProblem(problems, 'deploy/k8s/overlays/dev/namespace.yaml', /Namespace hls-dev: .*'"lables"' does not exist in type 'IObjectMeta'/);
  });

  test('overlay patch whose target or path does not exist', () => {
    const dir = copyRepo();
    edit(dir, 'deploy/k8s/overlays/dev/kustomization.yaml', 'path: /spec/maxReplicaCount', 'path: /spec/maxReplicas/count');
    edit(dir, 'deploy/k8s/overlays/dev/pvc.yaml', 'name: hls-data', 'name: hls-data2');
    const problems = checkK8s(dir, FAST);
    expectProblem(problems, 'deploy/k8s/overlays/dev/kustomization.yaml', /replace \/spec\/maxReplicas\/count: path not in ScaledObject chipper/);
    expectProblem(problems, 'deploy/k8s/overlays/dev/pvc.yaml', /patch target PersistentVolumeClaim hls-data2 is not among the resources/);
  });

  test('KEDA pointed at the ClusterIP service, or at a release other than the installed one', () => {
    let dir = copyRepo();
    edit(dir, 'deploy/k8s/base/scaledobjects.yaml', /nats-headless\.nats\.svc\.cluster\.local:8222\n(?=(.*\n){2}\s+consumer: reprojector)/, 'nats.nats.svc.cluster.local:8222\n');
    expectProblem(
      checkK8s(dir, FAST),
      'deploy/k8s/base/scaledobjects.yaml',
      /ScaledObject reprojector: natsServerMonitoringEndpoint nats\.nats\.svc\.cluster\.local:8222 is not nats-headless\.nats\.svc\.cluster\.local:8222, the headless service/,
    );
    dir = copyRepo();
    edit(dir, 'deploy/k8s/nats/README.md', 'helm upgrade --install nats nats/nats --namespace nats', 'helm upgrade --install queue nats/nats --namespace mq');
    const problems = checkK8s(dir, FAST);
    expectProblem(problems, 'deploy/k8s/base/scaledobjects.yaml', /ScaledObject chipper: .* is not queue-nats-headless\.mq\.svc\.cluster\.local:8222/);
    expectProblem(problems, 'deploy/k8s/base/web.yaml', /NATS_URL nats:\/\/nats\.nats\.svc\.cluster\.local:4222 is not the client service of the NATS release queue \(queue-nats\.mq\.svc\.cluster\.local:4222\)/);
  });

  test('a subject renamed in contracts, and a consumer without a trigger', () => {
    const renamed = { ...SERVICE_SUBJECTS, chipper: [SUBJECTS.tileReprojected, 'hls.cmd.chip.cut'] } as unknown as typeof SERVICE_SUBJECTS;
    let problems = checkK8s(ROOT, { ...FAST, serviceSubjects: renamed });
    expectProblem(problems, 'deploy/k8s/base/scaledobjects.yaml', /ScaledObject chipper: consumer chipper--hls_cmd_chip_clip is not one of chipper's durable consumers/);
    expectProblem(problems, 'deploy/k8s/base/scaledobjects.yaml', /ScaledObject chipper: no trigger on consumer chipper--hls_cmd_chip_cut/);
    const dir = copyRepo();
    edit(dir, 'deploy/k8s/base/scaledobjects.yaml', /\n {4}- type: nats-jetstream\n(.*\n){4}\s+consumer: chipper--hls_cmd_chip_clip\n(.*\n)*$/, '\n');
    problems = checkK8s(dir, FAST);
    expectProblem(problems, 'deploy/k8s/base/scaledobjects.yaml', /ScaledObject chipper: no trigger on consumer chipper--hls_cmd_chip_clip: lag there would not scale chipper/);
  });

  test('stream replicas that do not match the NATS servers', () => {
    let dir = copyRepo();
    edit(dir, 'deploy/config/kustomization.yaml', /\n\s+- name: hls-env\n(.*\n)*$/, '\n');
    let problems = checkK8s(dir, FAST);
    expectProblem(problems, 'deploy/k8s/base/reprojector.yaml', /envFrom ConfigMap hls-env is not among the resources/);
    expectProblem(problems, 'deploy/k8s/base/reprojector.yaml', /nats\.replicas is 1 with the container's environment, but the NATS release nats runs 3 server\(s\)/);
    dir = copyRepo();
    edit(dir, 'deploy/k8s/nats/values.yaml', /cluster:\n {4}enabled: true/, 'cluster:\n    enabled: false');
    problems = checkK8s(dir, FAST);
    expectProblem(problems, 'deploy/k8s/base/web.yaml', /nats\.replicas is 3 .* runs 1 server\(s\)/);
    // A single-server cluster's overlay merges 1 into hls-env (as deploy/k8s/nats/README.md shows).
    edit(dir, 'deploy/k8s/overlays/dev/kustomization.yaml', 'patches:', 'configMapGenerator:\n  - name: hls-env\n    behavior: merge\n    literals: [HLS_NATS__REPLICAS=1]\npatches:');
    const dev = buildKustomization(join(dir, 'deploy/k8s/overlays/dev'), dir);
    assert.deepEqual(dev.problems, []);
    assert.deepEqual(dev.objects.find((o) => o.obj.metadata.name === 'hls-env')?.obj.data, { HLS_NATS__REPLICAS: '1' });
    edit(dir, 'deploy/k8s/overlays/dev/kustomization.yaml', '  - name: hls-env\n    behavior: merge', '  - name: hls-envv\n    behavior: merge');
    expectProblem(buildKustomization(join(dir, 'deploy/k8s/overlays/dev'), dir).problems, 'deploy/k8s/overlays/dev/kustomization.yaml', /configMapGenerator hls-envv: behavior merge, but no ConfigMap hls-envv comes from the resources/);
  });

  test('web: bound to loopback, probes on a route it does not serve, no Service, a Deployment running an unknown command', () => {
    const dir = copyRepo();
    edit(dir, 'deploy/k8s/base/web.yaml', '"--host", "0.0.0.0"', '"--host", "127.0.0.1"');
    edit(dir, 'deploy/k8s/base/web.yaml', /(readinessProbe:\n\s+httpGet:\n\s+path: )\/api\/config/, '$1/readyz');
    edit(dir, 'deploy/k8s/base/web.yaml', /(kind: Service\n(.*\n)*?\s+selector:\n\s+app.kubernetes.io\/name: )web/, '$1webb');
    edit(dir, 'deploy/k8s/base/qa-filter.yaml', 'args: ["service", "qa-filter"', 'args: ["services", "qa-filter"');
    const problems = checkK8s(dir, FAST);
    expectProblem(problems, 'deploy/k8s/base/web.yaml', /Deployment web: web binds --host 127\.0\.0\.1: nothing outside the pod reaches it/);
    expectProblem(problems, 'deploy/k8s/base/web.yaml', /Deployment web: readinessProbe must GET one of \/, \/api\/config, \/run .* found \/readyz/);
    expectProblem(problems, 'deploy/k8s/base/web.yaml', /Deployment web: no Service selects its pods/);
    expectProblem(problems, 'deploy/k8s/base/qa-filter.yaml', /Deployment qa-filter: args must run \["service", <one of chip-index, .*>, \.\.\.\] or \["web", \.\.\.\], found \["services","qa-filter"/);
    edit(dir, 'deploy/k8s/base/kustomization.yaml', '  - web.yaml\n', '');
    expectProblem(checkK8s(dir, FAST), 'deploy/k8s/base', /expected one Deployment running `hls-chips web` \(the run page\), found 0/);
  });

  test('compose: a missing service, NATS without JetStream store, telemetry not to Jaeger', () => {
    const dir = copyRepo();
    edit(dir, 'docker-compose.yml', /\n {2}qa-filter:\n(.*\n)*?(?=\n {2}dataset-analytics:)/, '\n');
    edit(dir, 'docker-compose.yml', '"-js", "-sd", "/data", ', '"-js", ');
    edit(dir, 'docker-compose.yml', 'OTEL_EXPORTER_OTLP_ENDPOINT: http://jaeger:4318', 'OTEL_EXPORTER_OTLP_ENDPOINT: http://collector:4318');
    const problems = checkCompose(dir);
    expectProblem(problems, 'docker-compose.yml', /no compose service for qa-filter/);
    expectProblem(problems, 'docker-compose.yml', /nats: no JetStream store dir \(-sd\)/);
    expectProblem(problems, 'docker-compose.yml', /chipper: OTEL_EXPORTER_OTLP_ENDPOINT http:\/\/collector:4318 does not point at the Jaeger service/);
  });

  test('Dockerfile: root user, other entrypoint, an HLS_ variable that is no config key', () => {
    const dir = copyRepo();
    edit(dir, 'Dockerfile', 'USER node\n', '');
    edit(dir, 'Dockerfile', 'ENTRYPOINT ["node", "apps/cli/src/main.ts"]', 'ENTRYPOINT node apps/cli/src/main.ts');
    edit(dir, 'Dockerfile', 'ENV NODE_ENV=production', 'ENV NODE_ENV=production HLS_CLOUD_COVERAGE=5');
    const problems = checkDockerfile(dir);
    expectProblem(problems, 'Dockerfile', /non-root USER/);
    expectProblem(problems, 'Dockerfile', /ENTRYPOINT must be \["node","apps\/cli\/src\/main.ts"\]/);
    expectProblem(problems, 'Dockerfile', /ENV breaks config loading: config key cloud_coverage from environment variable HLS_CLOUD_COVERAGE/);
  });
});
