// NATS credentials never leave the process (issue 15 item 13): a --processes run against a nats-server
// that requires a password. The run ends (so the service children connected, with the credentials from
// their environment), and the password is in no event of the stream, no KV entry and no file under the
// data dir; the config file the children read is 0600.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Bus } from '@hls/bus';
import { natsSecretEnv } from '@hls/config';
import { ConfigSchema, KV_BUCKETS, OBJECT_BUCKETS, makeEvent, withoutSecrets } from '@hls/contracts';
import { createLogger } from '@hls/telemetry';
import { spawnNatsServer } from '@hls/testing';
import { defaultFixtures } from '@hls/world';
import { formatSummary, runPipeline } from './index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-secrets-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const apps = join(import.meta.dirname, '..', '..', '..', 'apps');
const PASSWORD = 'pw-7f3a9c1e-never-written';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('NATS credentials', () => {
  test('withoutSecrets drops user, password, token and credentials in server URLs; natsSecretEnv hands them on', () => {
    const c = ConfigSchema.parse({ nats: { url: 'nats://alice:pw1@a:4222, nats://b:4222', token: 'tk' } });
    assert.deepEqual(natsSecretEnv(c), { NATS_USER: 'alice', NATS_PASSWORD: 'pw1', NATS_TOKEN: 'tk' });
    const clean = withoutSecrets(c);
    assert.equal(clean.nats.url, 'nats://a:4222,nats://b:4222');
    assert.deepEqual([clean.nats.user, clean.nats.pass, clean.nats.token], [undefined, undefined, undefined]);
    assert.deepEqual(natsSecretEnv(ConfigSchema.parse({ nats: { url: 'nats://s3cr3t@a:4222' } })), { NATS_TOKEN: 's3cr3t' });
    // An event cannot carry them at all.
    const ref = (object: string) => ({ object, sha256: '0'.repeat(64), bytes: 0 });
    const ev = { runId: 'r', requestedAt: 'now', inputs: { chipPayload: ref('r/chips.geojson'), grid: ref('r/grid.json'), config: ref('r/config.json') } };
    assert.throws(() => makeEvent('hls.run.requested', { ...ev, config: ConfigSchema.parse({ nats: { user: 'u', pass: 'p' } }) }), /config: the run config must not carry NATS credentials/);
    makeEvent('hls.run.requested', { ...ev, config: clean });
  });

  test('a --processes run on a password-protected server: no password in events, KV or files; children read a 0600 config', { timeout: 600_000 }, async () => {
    const nats = await spawnNatsServer(['--user', 'hls', '--pass', PASSWORD]);
    try {
      const dataDir = join(tmp, 'data');
      const payload = join(tmp, 'empty_chip_payload.geojson');
      writeFileSync(payload, '{"type":"FeatureCollection","features":[]}');
      const grid = defaultFixtures().gridKml;
      const config = ConfigSchema.parse({ data_dir: dataDir, chip_payload_filename: payload, grid_kml: grid, nats: { url: nats.url, user: 'hls', pass: PASSWORD }, health_port: 0 });
      const r = await runPipeline({
        config,
        chipPayload: payload,
        gridKml: grid,
        services: [],
        nats: 'config',
        runId: 'secret-run',
        processes: { argv: (name) => [join(apps, name, 'src', 'main.ts')] },
        timeoutMs: 400_000,
      });
      assert.equal(r.complete, true, formatSummary(r));

      const yaml = join(dataDir, 'runs', 'secret-run.config.yaml');
      assert.equal(statSync(yaml).mode & 0o777, 0o600);
      for (const f of filesUnder(dataDir)) assert.ok(!readFileSync(f).includes(PASSWORD), `${f} holds the password`);

      const bus = await Bus.connect({ nats: config.nats, name: 'secrets-test', log: createLogger({ name: 'test', level: 'silent', pretty: false }) });
      try {
        const events = await bus.replay('hls.>');
        assert.ok(events.some((m) => m.subject === 'hls.run.requested'));
        for (const m of events) assert.ok(!JSON.stringify(m.data).includes(PASSWORD), `${m.subject} carries the password`);
        const runs = await bus.kv(KV_BUCKETS.runs);
        const keys = await runs.keys('');
        assert.ok(keys.includes('secret-run.spec'), keys.join(' '));
        for (const k of keys) assert.ok(!JSON.stringify((await runs.get(k))?.value).includes(PASSWORD), `KV ${k} holds the password`);
        // Nor does any run input in the object store (the config among them).
        const inputs = await bus.objects(OBJECT_BUCKETS.runInputs);
        const names = await inputs.names();
        assert.ok(names.includes('secret-run/config.json'), names.join(' '));
        for (const n of names) {
          const ref = await inputs.stat(n);
          assert.ok(ref && !Buffer.from(await inputs.get(ref)).includes(PASSWORD), `object ${n} holds the password`);
        }
      } finally {
        await bus.close();
      }
    } finally {
      await nats.stop();
    }
  });
});
