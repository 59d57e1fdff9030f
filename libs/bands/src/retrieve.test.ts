// retrieveAll (hls-chips retrieve): bands from several sources in order, one failure not stopping the rest.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BANDS, ConfigSchema, bandFileName, tileBandPath, type BandAsset, type GranuleId } from '@hls/contracts';
import { startLpDaacEmulator } from '@hls/stac';
import { retrieveAll, type RetrieveProgress } from './retrieve.ts';
import { BandSources, bandSourceSettings } from './sources.ts';

const G = 'HLS.S30.T15TVG.2022152T170851.v2.0' as GranuleId;
const root = mkdtempSync(join(tmpdir(), 'hls-retrieve-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('retrieve: local bands in place, the rest over HTTPS; a band no source has is reported, not fatal', async () => {
  const remote = join(root, 'remote');
  const local = join(root, 'local');
  mkdirSync(join(remote, G), { recursive: true });
  mkdirSync(join(local, G), { recursive: true });
  const bytes = new Map<string, Buffer>();
  for (const band of BANDS) {
    const b = randomBytes(50_000);
    b.write('II', 0, 'latin1');
    b.writeUInt16LE(42, 2);
    b.writeUInt32LE(8, 4);
    b.writeUInt16LE(1, 8);
    bytes.set(band, b);
    if (band !== 'Fmask') writeFileSync(join(remote, G, bandFileName(G, band)), b);
    if (band === 'B02' || band === 'B03') writeFileSync(join(local, G, bandFileName(G, band)), b);
  }
  const emu = await startLpDaacEmulator({ dir: remote, tokens: ['t'] });
  try {
    const config = ConfigSchema.parse({ stac: { type: 'directory', path: local }, band_sources: ['local', 'https'], earthdata: { auth_hosts: emu.authHosts, retries: 0 } });
    const sources = new BandSources(bandSourceSettings(config, { EARTHDATA_TOKEN: 't' }));
    const refs = BANDS.map((band) => ({ scene: G, band, filename: bandFileName(G, band), cid: null }));
    const assets = new Map<string, BandAsset>(BANDS.map((band) => [bandFileName(G, band), { band, filename: bandFileName(G, band), href: emu.hrefFor(G, bandFileName(G, band)) }]));
    const ds = join(root, 'ds');
    let last: RetrieveProgress | undefined;
    const r = await retrieveAll(sources, refs, ds, { assets, onProgress: (p) => (last = p) });
    assert.deepEqual(
      r.map((x) => [x.band, x.source ?? 'failed']),
      BANDS.map((b) => [b, b === 'Fmask' ? 'failed' : b === 'B02' || b === 'B03' ? 'local' : 'https']),
    );
    assert.equal(r.find((x) => x.band === 'B02')?.path, join(local, G, bandFileName(G, 'B02')));
    for (const b of ['B04', 'B8A', 'B11', 'B12'] as const) assert.deepEqual(readFileSync(join(ds, tileBandPath(G, b))), bytes.get(b));
    assert.match(r.find((x) => x.band === 'Fmask')?.error ?? '', /local: .*does not exist; https: .*HTTP 404/);
    assert.equal(last?.filesDone, 7);
    assert.equal(last?.bytes, 6 * 50_000);
    await sources.close();
  } finally {
    await emu.close();
  }
});
