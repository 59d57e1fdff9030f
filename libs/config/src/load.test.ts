import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '@hls/testing';
import { ConfigError, configGiven, loadConfig } from './index.ts';

const tmp = tempDir('hls-config-');
after(() => tmp.cleanup());

describe('loadConfig', () => {
  it('gives the original pipeline defaults with no file', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.data_dir, './data');
    assert.equal(c.cmr_stac_params.stac_base_cmr_url, 'https://cmr.earthdata.nasa.gov');
    assert.equal(c.cmr_stac_params.stac_endpoint_provider, 'stac');
    assert.equal(c.cmr_stac_params.stac_catalog, 'LPCLOUD');
    assert.equal(c.projected_crs, 'EPSG:5070');
    assert.equal(c.nats.url, 'nats://127.0.0.1:4222');
  });

  it('reads YAML and lets the environment override keys', () => {
    const f = join(tmp.dir, 'config.yaml');
    writeFileSync(f, 'data_dir: /srv/data\ncloud_cover_threshold: 10\nnats:\n  url: nats://a:4222\n');
    const c = loadConfig({ file: f, env: { HLS_CLOUD_COVER_THRESHOLD: '3', NATS_URL: 'nats://b:4222', HLS_SELECTED_HLS_BANDS: '[B02, Fmask]' } });
    assert.equal(c.data_dir, '/srv/data');
    assert.equal(c.cloud_cover_threshold, 3);
    assert.equal(c.nats.url, 'nats://b:4222');
    assert.deepEqual(c.selected_hls_bands, ['B02', 'Fmask']);
  });

  it('band sources and Earthdata settings: ordered list, env override, errors naming the key', () => {
    const f = join(tmp.dir, 'bands.yaml');
    writeFileSync(f, 'band_sources: [local, https]\nearthdata:\n  auth_hosts: [earthdata.nasa.gov]\n  retries: 2\n');
    const c = loadConfig({ file: f, env: {} });
    assert.deepEqual(c.band_sources, ['local', 'https']);
    assert.deepEqual(c.earthdata, { auth_hosts: ['earthdata.nasa.gov'], timeout_ms: 60_000, retries: 2, concurrency: 4 });
    assert.deepEqual(loadConfig({ file: f, env: { HLS_BAND_SOURCES: '[ipfs]' } }).band_sources, ['ipfs']);
    writeFileSync(f, 'band_sources: [local, ftp]\n');
    assert.throws(() => loadConfig({ file: f, env: {} }), (e: unknown) => e instanceof ConfigError && /band_sources/.test(e.message) && e.message.includes(f));
    writeFileSync(f, 'earthdata:\n  auth_host: [x]\n');
    assert.throws(() => loadConfig({ file: f, env: {} }), (e: unknown) => e instanceof ConfigError && /auth_host/.test(e.message));
  });

  it('names the key, the value and the file on a bad value', () => {
    const f = join(tmp.dir, 'bad.yaml');
    writeFileSync(f, 'cloud_cover_threshold: lots\n');
    assert.throws(
      () => loadConfig({ file: f, env: {} }),
      (e: unknown) => e instanceof ConfigError && e.key === 'cloud_cover_threshold' && e.message.includes(f) && e.message.includes('"lots"'),
    );
  });

  it('leaves process settings (HLS_CONFIG, HLS_SHUTDOWN_DEADLINE_MS, HLS_DEBUG, ...) out of the overrides', () => {
    const c = loadConfig({ env: { HLS_CONFIG: '/etc/hls/config.yaml', HLS_SHUTDOWN_DEADLINE_MS: '5000', HLS_DEBUG: '1', HLS_FIXTURES_DIR: '/f', HLS_WEB_BASEMAP: 'x', HLS_DATA_DIR: '/d' } });
    assert.equal(c.data_dir, '/d');
  });

  it('names an unknown key and an env source', () => {
    assert.throws(() => loadConfig({ env: { HLS_CLOUD_COVER_TRESHOLD: '5' } }), /cloud_cover_treshold.*HLS_CLOUD_COVER_TRESHOLD/);
    assert.throws(() => loadConfig({ env: { HLS_SELECTED_HLS_BANDS: '[B99]' } }), (e: unknown) => e instanceof ConfigError && /selected_hls_bands/.test(e.message));
  });

  it('reports malformed YAML with the file and line', () => {
    const f = join(tmp.dir, 'broken.yaml');
    writeFileSync(f, 'data_dir: [unclosed\n');
    assert.throws(() => loadConfig({ file: f, env: {} }), (e: unknown) => e instanceof ConfigError && e.message.includes(f) && /line/.test(e.message));
    assert.throws(() => loadConfig({ file: join(tmp.dir, 'missing.yaml'), env: {} }), /cannot read config file/);
  });
});

describe('configGiven', () => {
  it('is false only when loadConfig would return the defaults', () => {
    assert.equal(configGiven(undefined, {}), false);
    assert.deepEqual(loadConfig({ env: {} }), loadConfig({ env: { HLS_DEBUG: '1', HLS_CONFIG: '/x.yaml', PATH: '/bin' } }));
    // Process settings and unrelated variables configure nothing.
    assert.equal(configGiven(undefined, { HLS_DEBUG: '1', HLS_CONFIG: '/x.yaml', PATH: '/bin', NATS_URL: '' }), false);
    assert.equal(configGiven('run.yaml', {}), true);
    assert.equal(configGiven(undefined, { HLS_LIMITS__MAX_RASTER_PIXELS: '1000' }), true);
    assert.equal(configGiven(undefined, { NATS_URL: 'nats://127.0.0.1:4222' }), true);
  });
});
