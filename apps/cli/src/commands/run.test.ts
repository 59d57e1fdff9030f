// hls-chips run --config: a config or source error stops it before any work, naming the key or URL.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startProvider } from '@hls/ipfs';
import { demoConfig } from '@hls/pipeline';
import { CID_MAPPING_FILE, startStacServer } from '@hls/stac';
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
