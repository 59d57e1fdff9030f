// hls-chips run --config: a config or source error stops it before any work, naming the key or URL.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATASET_DIRS } from '@hls/contracts';
import { after, test } from 'node:test';
import { startProvider } from '@hls/ipfs';
import { demoConfig, processExists } from '@hls/local-stack';
import { CID_MAPPING_FILE, addArchiveInfo, startLpDaacEmulator, startStacServer } from '@hls/stac';
import { freePort } from '@hls/testing';
import { ensureWorld, SMALL_WORLD } from '@hls/world';

const tmp = mkdtempSync(join(tmpdir(), 'hls-run-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const main = join(import.meta.dirname, '..', 'main.ts');

test('run --config stops on an unreachable STAC API and a missing CDL before any work', async () => {
  const dead = await freePort();
  const data = join(tmp, 'data');
  const payload = join(tmp, 'chips.geojson');
  writeFileSync(payload, '{"type":"FeatureCollection","features":[]}');
  const yaml = join(tmp, 'config.yaml');
  writeFileSync(
    yaml,
    [
      `data_dir: ${data}`,
      `chip_payload_filename: ${payload}`,
      `grid_kml: ${payload}`,
      'stac:',
      `  url: http://127.0.0.1:${dead}/stac/LPCLOUD`,
      'ipfs:',
      '  backends:',
      '    - type: gateway',
      `      urls: [http://127.0.0.1:${dead}]`,
      'cdl:',
      `  source: ${join(tmp, 'no-such-cdl.tif')}`,
      `  reclass_table: ${payload}`,
      '',
    ].join('\n'),
  );
  const r = spawnSync(process.execPath, [main, 'run', '--config', yaml], { encoding: 'utf8', env: { ...process.env, NATS_URL: '' } });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, new RegExp(`stac\\.url: http://127\\.0\\.0\\.1:${dead}/stac/LPCLOUD does not answer`));
  assert.match(r.stderr, /cdl\.source: .*no-such-cdl\.tif does not exist/);
  assert.match(r.stderr, /ipfs\.backends\[0\]\.urls\[0\]/);
  // No work started: no NATS store, no run record, no dataset.
  assert.equal(existsSync(data), false);
});

test('run --config names a bad config key', () => {
  const yaml = join(tmp, 'bad.yaml');
  writeFileSync(yaml, 'cloud_cover_threshold: lots\n');
  const r = spawnSync(process.execPath, [main, 'run', '--config', yaml], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /config key cloud_cover_threshold/);
});

test('run --config over configured sources (a STAC API, an IPFS gateway, a CDL file) runs to the dataset', { timeout: 300_000 }, async () => {
  const data = join(tmp, 'real');
  const world = await ensureWorld({ dataDir: join(tmp, 'src'), options: SMALL_WORLD });
  const provider = await startProvider({ dir: world.granuleDir, storeDir: join(tmp, 'blocks'), mappingFile: join(world.granuleDir, CID_MAPPING_FILE), bitswap: false });
  const stac = await startStacServer({ dir: world.granuleDir });
  try {
    const cfg = demoConfig(data, world, stac.url, provider.gateway, 20_000);
    const yaml = join(tmp, 'run.yaml');
    // JSON is YAML.
    writeFileSync(yaml, JSON.stringify({ ...cfg, train_dataset_name: 'configured' }));
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [main, 'run', '--config', yaml, '--json'], { env: { ...process.env, NATS_URL: '' } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.once('exit', (status) => resolve({ status, stdout, stderr }));
    });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { complete: boolean; expected: number; accepted: number; rejected: number; failed: number; datasetDir: string };
    assert.equal(s.complete, true);
    assert.equal(s.accepted + s.rejected + s.failed, s.expected);
    assert.equal(s.datasetDir, join(data, 'training_datasets', 'configured'));
    assert.ok(existsSync(join(s.datasetDir, 'train_ids.csv')));
  } finally {
    await stac.close();
    await provider.close();
  }
});

interface Summary {
  complete: boolean;
  expected: number;
  accepted: number;
  rejected: number;
  failed: number;
  datasetDir: string;
  bands: { fetched: number; bySource: Record<string, number> };
}

/** `hls-chips run --config <yaml> --json` as a user runs it; resolves with its exit status and output. */
function runCli(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [main, 'run', '--config', yaml, '--json'], { env: { ...process.env, NATS_URL: '', EARTHDATA_TOKEN: '', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.once('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

test('run --config over granule folders (stac.type: directory, band_sources: [local]) needs no IPFS: bands read in place', { timeout: 300_000 }, async () => {
  const world = await ensureWorld({ dataDir: join(tmp, 'src'), options: SMALL_WORLD });
  const dead = await freePort();
  const data = join(tmp, 'local');
  const cfg = demoConfig(data, world, `http://127.0.0.1:${dead}`, `http://127.0.0.1:${dead}`, 20_000);
  const yaml = join(tmp, 'local.yaml');
  // No STAC server, no IPFS provider: the only IPFS backend configured is a port nobody listens on.
  writeFileSync(yaml, JSON.stringify({ ...cfg, train_dataset_name: 'folders', stac: { type: 'directory', path: world.granuleDir }, band_sources: ['local'] }));
  const r = await runCli(yaml);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(r.stdout) as Summary;
  assert.equal(s.complete, true);
  assert.ok(s.accepted > 0, 'chips were made');
  assert.equal(s.failed, 0);
  assert.equal(s.accepted + s.rejected, s.expected);
  assert.deepEqual(s.bands.bySource, { local: s.bands.fetched });
  assert.equal(existsSync(join(s.datasetDir, DATASET_DIRS.tiles)), false, 'no band was copied into tiles/');
  assert.ok(readdirSync(join(s.datasetDir, DATASET_DIRS.reprojected)).length > 0);
});

test('run --config with bands from the LP DAAC emulator over HTTPS (Earthdata Login via netrc): completes with verified bands', { timeout: 300_000 }, async () => {
  const world = await ensureWorld({ dataDir: join(tmp, 'src'), options: SMALL_WORLD });
  // LP DAAC's archive adds each file's size and SHA512 to the granule metadata; the fetcher checks both.
  // On a copy of the granules: the cached world stays as generated.
  const granules = join(tmp, 'lpdaac-granules');
  cpSync(world.granuleDir, granules, { recursive: true });
  assert.ok((await addArchiveInfo(granules)) > 0);
  const emu = await startLpDaacEmulator({ dir: granules });
  const stac = await startStacServer({ dir: granules, assetBase: emu.assetBase });
  const dead = await freePort();
  try {
    const netrc = join(tmp, 'run-netrc');
    writeFileSync(netrc, `machine ${emu.authHost} login hls-user password hls-password\n`);
    const cfg = demoConfig(join(tmp, 'lpdaac'), world, stac.url, `http://127.0.0.1:${dead}`, 20_000);
    const yaml = join(tmp, 'lpdaac.yaml');
    // Whole downloads (the tiles mode): the chips mode's ranged reads over HTTPS are demo-bands.test.ts's.
    writeFileSync(yaml, JSON.stringify({ ...cfg, train_dataset_name: 'lpdaac', processing: 'tiles', band_sources: ['https'], earthdata: { auth_hosts: emu.authHosts, retries: 3 } }));
    // One band's connection is cut mid-transfer: it resumes with Range.
    const first = readdirSync(granules).find((g) => readdirSync(join(granules, g)).some((f) => f.endsWith('.B04.tif')));
    assert.ok(first, 'the world has band files');
    const cut = Math.floor(statSync(join(granules, first, `${first}.B04.tif`)).size / 2);
    emu.faults.disconnectAfter.set(`${first}.B04.tif`, cut);

    const r = await runCli(yaml, { NETRC: netrc });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.complete, true);
    assert.ok(s.accepted > 0);
    assert.equal(s.failed, 0);
    assert.deepEqual(s.bands.bySource, { https: s.bands.fetched });
    // Every downloaded band is byte-identical to what LP DAAC serves; no temp file is left.
    const tiles = join(s.datasetDir, DATASET_DIRS.tiles);
    let n = 0;
    for (const g of readdirSync(tiles)) {
      for (const f of readdirSync(join(tiles, g))) {
        assert.ok(!f.endsWith('.part'), `temp file left: ${f}`);
        // equals(), not deepEqual: a diff of two band files would take gigabytes to print.
        assert.ok(readFileSync(join(tiles, g, f)).equals(readFileSync(join(granules, g, f))), `${f} differs from what LP DAAC serves`);
        n++;
      }
    }
    assert.equal(n, s.bands.fetched);
    assert.ok(emu.requests.some((q) => q.server === 'signed' && q.range === `bytes=${cut}-`), 'the cut band resumed with Range');
    // The netrc password went to the Earthdata Login host only; the signed-URL host saw no credentials or cookies.
    assert.ok(emu.requests.some((q) => q.server === 'auth' && q.authorization?.startsWith('Basic ')));
    assert.ok(emu.requests.filter((q) => q.server !== 'auth').every((q) => !q.authorization));
    assert.ok(emu.requests.filter((q) => q.server === 'signed').every((q) => !q.cookie));
  } finally {
    await stac.close();
    await emu.close();
  }
});

test('a SIGTERM stops the run cleanly: its private nats-server is stopped too (none left with parent pid 1), the run stays resumable', { timeout: 300_000 }, async () => {
  const world = await ensureWorld({ dataDir: join(tmp, 'src'), options: SMALL_WORLD });
  const dead = await freePort();
  const data = join(tmp, 'sigterm');
  const cfg = demoConfig(data, world, `http://127.0.0.1:${dead}`, `http://127.0.0.1:${dead}`, 20_000);
  const yaml = join(tmp, 'sigterm.yaml');
  writeFileSync(yaml, JSON.stringify({ ...cfg, train_dataset_name: 'sigterm', stac: { type: 'directory', path: world.granuleDir }, band_sources: ['local'] }));
  const p = spawn(process.execPath, [main, 'run', '--config', yaml, '--json'], { env: { ...process.env, NATS_URL: '', EARTHDATA_TOKEN: '' } });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((r) => p.once('exit', (code) => r(code)));
  // Stopped once the run is requested: the services are working on it.
  await new Promise<void>((r) =>
    p.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/^run run-\S+: /m.test(stderr)) r();
    }),
  );
  const server = JSON.parse(readFileSync(join(data, 'nats', 'server.json'), 'utf8')) as { pid: number };
  assert.ok(processExists(server.pid), 'the private nats-server runs');
  p.kill('SIGTERM');
  assert.equal(await exited, 1, stderr);
  const s = JSON.parse(stdout) as { complete: boolean; stopped?: string; runId: string };
  assert.equal(s.complete, false);
  assert.match(s.stopped ?? '', /^SIGTERM: the run is unfinished; the same command resumes it$/);
  assert.equal(processExists(server.pid), false, `nats-server ${server.pid} is still running`);
  assert.equal(existsSync(join(data, 'nats', 'server.json')), false);
  assert.deepEqual(JSON.parse(readFileSync(join(data, 'runs', 'run.json'), 'utf8')), { runId: s.runId, done: false });
});
