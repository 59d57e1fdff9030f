// HTTPS band downloads against the LP DAAC emulator (real servers on loopback: data host 127.0.0.1,
// Earthdata Login on localhost, signed URLs on 127.0.0.2): the netrc redirect-and-cookie flow, a bearer
// token, Range resume after a cut connection, wrong size / checksum never landing, where credentials went.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { bandFileName, type BandAsset, type GranuleId } from '@hls/contracts';
import { emptyLpDaacFaults, startLpDaacEmulator, type LpDaacEmulator } from '@hls/stac';
import { HttpsBandSource, httpsPartPath } from './https.ts';

const G = 'HLS.S30.T15TVG.2022152T170851.v2.0' as GranuleId;
const USER = { login: 'edl-user', password: 's3cret-pw' };
const TOKEN = 'edl-token-123';
let root: string;
let emu: LpDaacEmulator;
let netrc: string;
const bytes = new Map<string, Buffer>();

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'hls-https-'));
  mkdirSync(join(root, 'granules', G), { recursive: true });
  for (const [i, band] of (['B02', 'B03', 'B04', 'B8A', 'B11', 'B12', 'Fmask'] as const).entries()) {
    const b = randomBytes(300_000 + i * 1000);
    writeFileSync(join(root, 'granules', G, bandFileName(G, band)), b);
    bytes.set(band, b);
  }
  emu = await startLpDaacEmulator({ dir: join(root, 'granules'), user: USER, tokens: [TOKEN] });
  netrc = join(root, 'netrc');
  writeFileSync(netrc, `machine ${emu.authHost} login ${USER.login} password ${USER.password}\n`);
});
after(async () => {
  await emu?.close();
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  emu.requests.length = 0;
  emu.faults = emptyLpDaacFaults();
});

const settings = { timeoutMs: 20_000, retries: 3, concurrency: 2, backoffBaseMs: 10, backoffMaxMs: 50 };
const asset = (band: 'B02' | 'B03' | 'B04' | 'B8A' | 'B11' | 'B12' | 'Fmask', withMeta = true): BandAsset => {
  const filename = bandFileName(G, band);
  const b = bytes.get(band) as Buffer;
  return {
    band,
    filename,
    href: emu.hrefFor(G, filename),
    ...(withMeta ? { size: b.length, checksum: { algorithm: 'SHA512', value: createHash('sha512').update(b).digest('hex') } } : {}),
  };
};
const out = (name: string, band: string): string => join(root, 'out', name, `${G}.${band}.tif`);
const secretsIn = (r: { authorization?: string; cookie?: string }): string => `${r.authorization ?? ''} ${r.cookie ?? ''}`;
const basic = `Basic ${Buffer.from(`${USER.login}:${USER.password}`).toString('base64')}`;

describe('HTTPS band source against the LP DAAC emulator', () => {
  test('netrc: data host -> Earthdata Login (Basic) -> code -> session cookie -> signed URL; credentials only where they belong', async () => {
    const src = new HttpsBandSource({ netrcPath: netrc }, { ...settings, authHosts: emu.authHosts });
    const path = out('netrc', 'B02');
    const r = await src.fetchToFile(asset('B02'), path);
    assert.deepEqual(readFileSync(path), bytes.get('B02'));
    assert.equal(r.reused, false);
    assert.equal(r.checksumVerified, true);
    assert.deepEqual(
      emu.requests.map((q) => [q.server, q.status]),
      [
        ['data', 302],
        ['auth', 302],
        ['data', 302],
        ['data', 302],
        ['signed', 200],
      ],
    );
    const auth = emu.requests.filter((q) => q.server === 'auth');
    assert.deepEqual(auth.map((q) => q.authorization), [basic], 'Basic auth went to the Earthdata Login host');
    for (const q of emu.requests.filter((x) => x.server !== 'auth')) assert.ok(!secretsIn(q).includes('Basic'), `no Basic auth to ${q.server}`);
    assert.match(emu.requests[3]?.cookie ?? '', /^lpdaac_session=/, 'the session cookie went back to the data host');
    const signed = emu.requests.filter((q) => q.server === 'signed');
    assert.deepEqual(signed.map((q) => [q.authorization, q.cookie]), [[undefined, undefined]], 'the signed-URL host got neither credentials nor cookies');

    // The next band reuses the session: no second login.
    emu.requests.length = 0;
    await src.fetchToFile(asset('B03'), out('netrc', 'B03'));
    assert.deepEqual(emu.requests.map((q) => q.server), ['data', 'signed']);
    // A verified file at the final path is kept: nothing is requested.
    emu.requests.length = 0;
    assert.equal((await src.fetchToFile(asset('B02'), path)).reused, true);
    assert.equal(emu.requests.length, 0);
  });

  test('bearer token: sent to the data host only, never to the signed-URL host', async () => {
    const src = new HttpsBandSource({ token: TOKEN }, { ...settings, authHosts: emu.authHosts });
    const path = out('token', 'B04');
    await src.fetchToFile(asset('B04'), path);
    assert.deepEqual(readFileSync(path), bytes.get('B04'));
    assert.deepEqual(emu.requests.map((q) => [q.server, q.authorization]), [
      ['data', `Bearer ${TOKEN}`],
      ['signed', undefined],
    ]);
  });

  test('credentials never reach a host off the auth list, even the data host', async () => {
    // Only the auth host is listed: the data host gets no token, so it sends the client to log in.
    const src = new HttpsBandSource({ token: TOKEN }, { ...settings, authHosts: [emu.authHost] });
    await src.fetchToFile(asset('B04'), out('offlist', 'B04')).catch(() => undefined);
    for (const q of emu.requests.filter((x) => x.server !== 'auth')) assert.ok(!secretsIn(q).includes(TOKEN), `${q.server} got the token`);
  });

  test('a connection cut mid-transfer resumes with Range; the bytes are exact', async () => {
    const src = new HttpsBandSource({ netrcPath: netrc }, { ...settings, authHosts: emu.authHosts });
    const a = asset('B8A');
    emu.faults.disconnectAfter.set(a.filename, 120_000);
    const path = out('resume', 'B8A');
    const r = await src.fetchToFile(a, path);
    assert.deepEqual(readFileSync(path), bytes.get('B8A'));
    const signed = emu.requests.filter((q) => q.server === 'signed');
    assert.equal(signed.length, 2);
    assert.equal(signed[0]?.range, undefined);
    // Every byte received before the cut was kept: the second request asks for exactly the rest.
    assert.equal(signed[1]?.range, 'bytes=120000-');
    assert.equal(signed[1]?.status, 206);
    assert.equal(r.resumedFrom, 0, 'this download started from nothing');
    assert.equal(existsSync(httpsPartPath(path)), false);
  });

  test('transient answers (503, 429) are retried, not failures', async () => {
    const src = new HttpsBandSource({ netrcPath: netrc }, { ...settings, authHosts: emu.authHosts });
    const a = asset('B11');
    emu.faults.serverErrors.set(a.filename, 2);
    emu.faults.rateLimited.set(a.filename, 1);
    await src.fetchToFile(a, out('transient', 'B11'));
    assert.deepEqual(readFileSync(out('transient', 'B11')), bytes.get('B11'));
    assert.equal(emu.requests.filter((q) => q.status === 503).length, 2);
    assert.equal(emu.requests.filter((q) => q.status === 429).length, 1);
    // More 503s than retries: a transient failure (the scene is retried later), the part kept for resuming.
    emu.faults.serverErrors.set(a.filename, 10);
    await assert.rejects(src.fetchToFile(a, out('transient2', 'B11')), (e: Error & { retryable?: boolean }) => {
      assert.equal(e.retryable, true);
      assert.match(e.message, /HTTP 503/);
      return true;
    });
    assert.equal(existsSync(out('transient2', 'B11')), false);
  });

  test('a wrong checksum or a wrong size never lands at the final path', async () => {
    const src = new HttpsBandSource({ netrcPath: netrc }, { ...settings, authHosts: emu.authHosts });
    const a = asset('B12');
    emu.faults.corrupt.add(a.filename);
    const path = out('bad', 'B12');
    await assert.rejects(src.fetchToFile(a, path), (e: Error & { retryable?: boolean }) => {
      assert.equal(e.retryable, false);
      assert.match(e.message, /SHA512 checksum .* differs from the granule metadata/);
      assert.equal(e.message.includes('\n'), false);
      return true;
    });
    assert.equal(existsSync(path), false);
    assert.equal(existsSync(httpsPartPath(path)), false);

    emu.faults = emptyLpDaacFaults();
    emu.faults.truncated.add(a.filename);
    await assert.rejects(src.fetchToFile(a, path), /the server has \d+ bytes, the granule metadata says \d+/);
    assert.equal(existsSync(path), false);
    // Without metadata the server's own length is what is checked: a cut that never completes fails transiently.
    emu.faults = emptyLpDaacFaults();
    const noMeta = asset('Fmask', false);
    await src.fetchToFile(noMeta, out('nometa', 'Fmask'));
    assert.deepEqual(readFileSync(out('nometa', 'Fmask')), bytes.get('Fmask'));
  });

  test('no token and no netrc: one line naming the host and what to set; nothing leaks into it', async () => {
    const src = new HttpsBandSource({}, { ...settings, authHosts: emu.authHosts });
    const path = out('nocreds', 'B02');
    await assert.rejects(src.fetchToFile(asset('B02'), path), (e: Error & { retryable?: boolean }) => {
      assert.equal(e.retryable, false);
      assert.equal(e.message.includes('\n'), false);
      assert.match(e.message, new RegExp(`HTTP 401 at localhost:\\d+: no Earthdata Login credentials for localhost:\\d+: set EARTHDATA_TOKEN, or add "machine urs\\.earthdata\\.nasa\\.gov`));
      assert.doesNotMatch(e.message, /code=|X-Amz-Signature|state=/);
      return true;
    });
    assert.equal(existsSync(path), false);
    // Wrong credentials: refused, and neither the password nor the token is in the message.
    writeFileSync(join(root, 'bad-netrc'), `machine ${emu.authHost} login ${USER.login} password wrong-pw\n`);
    const bad = new HttpsBandSource({ netrcPath: join(root, 'bad-netrc') }, { ...settings, authHosts: emu.authHosts });
    await assert.rejects(bad.fetchToFile(asset('B02'), path), (e: Error) => {
      assert.match(e.message, /Earthdata Login refused the credentials/);
      assert.doesNotMatch(e.message, /wrong-pw|edl-user/);
      return true;
    });
    const badToken = new HttpsBandSource({ token: 'not-a-token' }, { ...settings, authHosts: emu.authHosts });
    await assert.rejects(badToken.fetchToFile(asset('B02'), path), (e: Error) => {
      assert.match(e.message, /HTTP 401 at 127\.0\.0\.1:\d+: Earthdata Login refused/);
      assert.doesNotMatch(e.message, /not-a-token/);
      return true;
    });
  });
});
