// The repo's deploy files pass every schema and cross-reference check, and each check really fires:
// a copy of the files with one defect reports that defect, naming the file.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import {
  checkCompose,
  checkDeploy,
  checkDockerfile,
  checkK8s,
  formatProblem,
  parseDockerfile,
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

  test('consumer names come from the bus naming rule', () => {
    assert.deepEqual(serviceConsumers('reprojector'), ['reprojector--hls_band_fetched']);
    assert.deepEqual(serviceConsumers('chipper'), ['chipper--hls_tile_ready', 'chipper--hls_chip_clip']);
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
    edit(dir, 'deploy/k8s/base/scaledobjects.yaml', 'cooldownPeriod: 300\n  triggers:\n    - type: nats-jetstream\n      metadata:\n        natsServerMonitoringEndpoint: nats.nats.svc.cluster.local:8222\n        account: "$G"\n        stream: HLS\n        consumer: reprojector', 'coolDownPeriod: 300\n  triggers:\n    - type: nats-jetstream\n      metadata:\n        natsServerMonitoringEndpoint: nats.nats.svc.cluster.local:8222\n        account: "$G"\n        stream: HLS\n        consumer: reprojector');
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
