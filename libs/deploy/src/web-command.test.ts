// The web Deployment's command line, run as the container would (its args, the generated ConfigMaps as
// config and environment), answers its probes on the port it declares, with the run view on. Only the
// places that differ outside a cluster are swapped: the config path, --out, the port (a free one) and
// NATS (a local single server, hence HLS_NATS__REPLICAS=1).
import { startNats, freePort, tempDir, waitFor } from '@hls/testing';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { buildKustomization } from './index.ts';

const ROOT = resolve(import.meta.dirname, '../../..');

test('the web Deployment starts `hls-chips web` and answers its probes on its port', async (t) => {
  const objects = buildKustomization(join(ROOT, 'deploy/k8s/base'), ROOT).objects;
  const doc = objects.find((o) => o.obj.kind === 'Deployment' && o.obj.metadata.name === 'web');
  assert.ok(doc, 'no web Deployment');
  const c = (doc.obj as unknown as IDeployment).spec?.template.spec?.containers[0];
  assert.ok(c?.args && c.readinessProbe?.httpGet && c.livenessProbe?.httpGet);
  const configDoc = objects.find((o) => o.obj.kind === 'ConfigMap' && o.obj.metadata.name === 'hls-config');
  const configFile = configDoc?.sources?.['config.yaml'];
  assert.ok(configFile, 'hls-config has no config.yaml');
  const envFrom = Object.assign(
    {},
    ...(c.envFrom ?? []).map((e) => (objects.find((o) => o.obj.kind === 'ConfigMap' && o.obj.metadata.name === e.configMapRef?.name)?.obj as IConfigMap | undefined)?.data ?? {}),
  ) as Record<string, string>;

  const nats = await startNats();
  t.after(() => nats.stop());
  const out = tempDir('hls-web-deploy-');
  t.after(() => out.cleanup());
  const port = await freePort();
  const declared = c.ports?.find((p) => p.containerPort === Number(c.args?.[c.args.indexOf('--port') + 1]));
  assert.ok(declared, 'the container does not declare the --port it passes');
  const swap: Record<string, string> = { '--config': configFile, '--out': out.dir, '--port': String(port) };
  const args = c.args.map((a, i) => swap[c.args?.[i - 1] ?? ''] ?? a);

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    ...envFrom,
    ...Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string])),
    NATS_URL: nats.url,
    HLS_NATS__REPLICAS: '1',
  };
  const child = spawn(process.execPath, [join(ROOT, 'apps/cli/src/main.ts'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  });

  await waitFor(() => /hls-chips web: http:\/\//.test(output) || child.exitCode !== null, { timeoutMs: 60_000, what: 'hls-chips web to listen' });
  assert.equal(child.exitCode, null, `hls-chips web exited: ${output}`);
  for (const probe of [c.readinessProbe.httpGet, c.livenessProbe.httpGet]) {
    const res = await fetch(`http://127.0.0.1:${port}${probe.path ?? '/'}`);
    const body = await res.text();
    assert.equal(res.status, 200, `${probe.path}: ${body}`);
    if (probe.path === '/api/config') assert.equal((JSON.parse(body) as { runs: boolean }).runs, true, `run view off: ${output}`);
  }
  child.kill('SIGTERM');
  assert.equal(await exited, 0, output);
});
