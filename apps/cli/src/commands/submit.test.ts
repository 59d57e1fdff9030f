// hls-chips submit against services started separately, exactly as docker-compose starts them: one
// `hls-chips service <name> --config deploy/config/config.yaml` process per service, NATS_URL pointing at
// one nats-server. The small demo world is submitted to them; the summary and the dataset files are
// checked, then a detached submit is followed with `status`. The services stop on SIGTERM with exit 0.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DATASET_DIRS, DATASET_FILES, SERVICES } from '@hls/contracts';
import { startProvider } from '@hls/ipfs';
import { demoConfig } from '@hls/local-stack';
import { CID_MAPPING_FILE, startStacServer } from '@hls/stac';
import { startNats, type NatsHandle } from '@hls/testing';
import { ensureWorld, SMALL_WORLD, type World } from '@hls/world';

const tmp = mkdtempSync(join(tmpdir(), 'hls-submit-'));
const main = join(import.meta.dirname, '..', 'main.ts');
const COMPOSE_CONFIG = join(import.meta.dirname, '..', '..', '..', '..', 'deploy', 'config', 'config.yaml');

interface Done {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<Done> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [main, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

interface Summary {
  runId: string;
  complete: boolean;
  expected: number;
  accepted: number;
  rejected: number;
  failed: number;
  reasons: Record<string, number>;
  datasetDir: string;
  bands: { fetched: number };
}

describe('hls-chips submit to services started as docker-compose starts them', () => {
  let nats: NatsHandle;
  let world: World;
  let stac: Awaited<ReturnType<typeof startStacServer>>;
  let provider: Awaited<ReturnType<typeof startProvider>>;
  const services: ChildProcess[] = [];
  const exits: Promise<number | null>[] = [];
  let env: NodeJS.ProcessEnv;

  before(async () => {
    nats = await startNats();
    world = await ensureWorld({ dataDir: join(tmp, 'src'), options: SMALL_WORLD });
    provider = await startProvider({ dir: world.granuleDir, storeDir: join(tmp, 'blocks'), mappingFile: join(world.granuleDir, CID_MAPPING_FILE), bitswap: false });
    stac = await startStacServer({ dir: world.granuleDir });
    // As compose: NATS_URL in the environment, the shipped config file; the health port is per container
    // there, so here each process takes a free one. No EARTHDATA_TOKEN: the demo's bands come from IPFS.
    env = { NATS_URL: nats.url, HLS_HEALTH_PORT: '0', EARTHDATA_TOKEN: '', LOG_LEVEL: 'warn' };
    for (const name of SERVICES) {
      const p = spawn(process.execPath, [main, 'service', name, '--config', COMPOSE_CONFIG], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
      exits.push(
        new Promise((r) =>
          p.once('exit', (code) => {
            if (code) console.error(`service ${name} exited ${code}: ${err}`);
            r(code);
          }),
        ),
      );
      services.push(p);
    }
  });

  after(async () => {
    for (const p of services) if (p.exitCode === null) p.kill('SIGKILL');
    await stac?.close();
    await provider?.close();
    await nats?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('the small demo world runs to its dataset; the summary is the one `run` prints', { timeout: 600_000 }, async () => {
    const data = join(tmp, 'data');
    const yaml = join(tmp, 'run.yaml');
    // JSON is YAML. The submitter's config: where the services write (data_dir) and read the CDL.
    writeFileSync(yaml, JSON.stringify({ ...demoConfig(data, world, stac.url, provider.gateway, 20_000), nats: { url: 'nats://127.0.0.1:1' }, health_port: 0 }));
    const r = await cli(['submit', '--config', yaml, '--run-id', 'submitted-1', '--json'], env);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.runId, 'submitted-1');
    assert.equal(s.complete, true);
    const planned = world.plan.tiles.flatMap((t) => t.chips.map((c) => c.id));
    assert.equal(s.expected, planned.length);
    assert.equal(s.accepted + s.rejected + s.failed, planned.length);
    assert.ok(s.accepted > 0, JSON.stringify(s.reasons));
    assert.equal(s.failed, 0, JSON.stringify(s.reasons));
    const noScenes = world.plan.tiles.find((t) => t.role === 'no-scenes')!;
    assert.equal(s.reasons['rejected: no-scenes'], noScenes.chips.length);
    assert.equal(s.bands.fetched, 42);
    assert.equal(s.datasetDir, join(data, 'training_datasets', 'demo'));
    assert.match(r.stderr, /run submitted-1: inputs in object store hls-run-inputs \(uploaded chipPayload, (chipPayloadTwin, )?grid, reclassTable, config\)/);

    // The dataset as `run` writes it.
    for (const f of [DATASET_FILES.trainIds, DATASET_FILES.valIds, DATASET_FILES.globalStats, DATASET_FILES.classWeights, DATASET_FILES.selectedTiles, DATASET_FILES.chipsId, DATASET_FILES.trackChips])
      assert.ok(existsSync(join(s.datasetDir, f)), f);
    const track = readFileSync(join(s.datasetDir, DATASET_FILES.trackChips), 'utf8').trim().split('\n').slice(1);
    assert.equal(track.filter((l) => l.includes(',accepted,')).length, s.accepted);
    const ids = [...readFileSync(join(s.datasetDir, DATASET_FILES.trainIds), 'utf8').trim().split('\n'), ...readFileSync(join(s.datasetDir, DATASET_FILES.valIds), 'utf8').trim().split('\n')];
    assert.ok(ids.length >= s.accepted, 'every accepted chip is in the split');
    assert.ok(existsSync(join(s.datasetDir, DATASET_DIRS.filtered)));

    // Submitted again under the same run id: nothing uploaded, the same (finished) run, the same summary.
    const again = await cli(['submit', '--config', yaml, '--run-id', 'submitted-1', '--json'], env);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /run submitted-1: submitted before; resuming with the spec and inputs it was first submitted with/);
    const s2 = JSON.parse(again.stdout) as Summary;
    assert.deepEqual([s2.complete, s2.accepted, s2.rejected, s2.failed], [true, s.accepted, s.rejected, s.failed]);
  });

  test('the README one-liner: submit --demo --detach prints the run id; status follows the run to complete', { timeout: 600_000 }, async () => {
    // As `docker compose run --rm chip-index submit --demo --data-dir /data/demo`: the world on a path every
    // service sees, its granule folders and CDL read in place (no STAC server, no IPFS).
    const data = join(tmp, 'shared');
    const r = await cli(['submit', '--demo', '--small', '--data-dir', data, '--run-id', 'detached-1', '--detach'], env);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'detached-1');
    type Status = { complete: boolean; expectedChips: number | null; counts: { accepted: number; rejected: number; failed: number } };
    let status: Status | undefined;
    for (let i = 0; i < 300 && !status?.complete; i++) {
      const st = await cli(['status', 'detached-1', '--json'], env);
      assert.equal(st.status, 0, st.stderr);
      status = JSON.parse(st.stdout) as Status;
      if (!status.complete) await new Promise((res) => setTimeout(res, 1000));
    }
    assert.equal(status?.complete, true, JSON.stringify(status));
    const planned = world.plan.tiles.flatMap((t) => t.chips.map((c) => c.id));
    assert.equal(status?.expectedChips, planned.length);
    assert.ok((status?.counts.accepted ?? 0) > 0);
    assert.equal(status?.counts.failed, 0);
    const dir = join(data, 'training_datasets', 'demo');
    for (const f of [DATASET_FILES.trainIds, DATASET_FILES.valIds, DATASET_FILES.trackChips]) assert.ok(existsSync(join(dir, f)), f);
    assert.equal(existsSync(join(dir, DATASET_DIRS.tiles)), false, 'bands were read in place, not downloaded');
    const list = await cli(['status'], env);
    assert.deepEqual(list.stdout.trim().split('\n').sort(), ['detached-1', 'submitted-1']);
  });

  test('the services stop on SIGTERM with exit 0', { timeout: 120_000 }, async () => {
    for (const p of services) p.kill('SIGTERM');
    assert.deepEqual(await Promise.all(exits), SERVICES.map(() => 0));
  });
});
