// hls-chips run --config: a config or source error stops it before any work, naming the key or URL.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '@hls/testing';

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
