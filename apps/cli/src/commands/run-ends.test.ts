// Runs always end, and say how (issue 15 item 4): each way a run can end with nothing or little to show
// (an empty payload, every chip outside the grid, every tile without scenes, the CDL and its reclass
// table swapped, a band that is no GeoTIFF) completes with its summary, on the run's own completion.
// The small world's servers are shared; each run has its own data dir and private nats-server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DATASET_FILES, SERVICES, type Config } from '@hls/contracts';
import { transformer } from '@hls/geo';
import { startProvider, type Provider } from '@hls/ipfs';
import { demoConfig } from '@hls/local-stack';
import { exitCode, formatSummary, runPipeline, type PipelineResult } from '@hls/pipeline';
import { CID_MAPPING_FILE, startStacServer } from '@hls/stac';
import { ensureWorld, SMALL_WORLD, type World } from '@hls/world';
import { createServices } from '../registry.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-ends-'));
const services = createServices(SERVICES);
const main = join(import.meta.dirname, '..', 'main.ts');

interface Servers {
  stacUrl: string;
  gateway: string;
  close(): Promise<void>;
}

async function serve(granuleDir: string, storeDir: string): Promise<Servers> {
  const provider: Provider = await startProvider({ dir: granuleDir, storeDir, mappingFile: join(granuleDir, CID_MAPPING_FILE), bitswap: false });
  const stac = await startStacServer({ dir: granuleDir });
  return {
    stacUrl: stac.url,
    gateway: provider.gateway,
    async close() {
      await stac.close();
      await provider.close();
    },
  };
}

let world: World;
let servers: Servers;
before(async () => {
  world = await ensureWorld({ dataDir: join(tmp, 'src'), options: SMALL_WORLD });
  servers = await serve(world.granuleDir, join(tmp, 'blocks'));
});
after(async () => {
  await servers?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** The world's payload features, optionally only some chips. */
function payloadOf(ids?: readonly string[]): { type: string; features: { properties: { id: string } }[] } {
  const fc = JSON.parse(readFileSync(world.chipPayload, 'utf8')) as { type: string; features: { properties: { id: string } }[] };
  return ids ? { ...fc, features: fc.features.filter((f) => ids.includes(f.properties.id)) } : fc;
}

function writePayload(name: string, fc: unknown): string {
  const f = join(tmp, `${name}_chip_payload.geojson`);
  writeFileSync(f, JSON.stringify(fc));
  return f;
}

const chipsOf = (role: string): string[] => world.plan.tiles.find((t) => t.role === role)!.chips.map((c) => c.id);

/** One run in this process, to its end; a generous timeout only guards against a hang. */
async function run(name: string, o: { chipPayload?: string; config?: (c: Config) => Config; servers?: Servers } = {}): Promise<PipelineResult> {
  const s = o.servers ?? servers;
  const base = demoConfig(join(tmp, name), world, s.stacUrl, s.gateway, 20_000);
  const config = o.config ? o.config(base) : base;
  return runPipeline({ config, chipPayload: o.chipPayload ?? world.chipPayload, gridKml: world.gridKml, services, label: 'run', nats: 'private', timeoutMs: 400_000 });
}

/** What every ended run shows: complete, every chip counted once, the dataset step done. */
function assertEnded(r: PipelineResult): void {
  assert.equal(r.complete, true, formatSummary(r));
  assert.equal(r.accepted + r.rejected + r.failed, r.expected, formatSummary(r));
  assert.deepEqual(r.conflicts, []);
  assert.match(r.outputs.dataset ?? '', /train_ids\.csv/);
  for (const f of [DATASET_FILES.trainIds, DATASET_FILES.valIds]) assert.ok(existsSync(join(r.datasetDir, f)), f);
}

describe('runs always end, and say how', () => {
  test('an empty payload: complete at once, 0 chips, nothing produced (exit 1)', { timeout: 600_000 }, async () => {
    const r = await run('empty', { chipPayload: writePayload('empty', { type: 'FeatureCollection', features: [] }) });
    assertEnded(r);
    assert.equal(r.expected, 0);
    assert.equal(exitCode(r), 1);
    assert.match(formatSummary(r), /complete in .*\nnothing produced: the chip payload holds no chip/);
    assert.equal(readFileSync(join(r.datasetDir, DATASET_FILES.trainIds), 'utf8'), 'ids\n');
  });

  test('every chip outside the grid: all rejected no-tile (an unusable id counted too), the summary says so (exit 1)', { timeout: 600_000 }, async () => {
    // Valid CDL-grid chips in Florida: no tile of the grid contains them.
    const t = transformer(5070, 4326);
    const feature = (id: string, x0: number, y1: number) => ({
      type: 'Feature',
      properties: { id, center: t([x0 + 3360, y1 - 3360]) },
      geometry: { type: 'Polygon', coordinates: [[[x0, y1], [x0, y1 - 6720], [x0 + 6720, y1 - 6720], [x0 + 6720, y1], [x0, y1]].map((p) => t(p as [number, number]))] },
    });
    // And a feature whose id cannot be used: counted too, under a stand-in id (3 features, 3 expected).
    const fc = { type: 'FeatureCollection', features: [feature('chip_fl_1', 1_337_505, 728_205), feature('chip_fl_2', 1_337_505 + 6720, 728_205), feature('../x', 1_337_505, 728_205 - 6720)] };
    const r = await run('no-tile', { chipPayload: writePayload('no_tile', fc) });
    assertEnded(r);
    assert.deepEqual([r.expected, r.rejected, r.reasons], [3, 3, { 'rejected: no-tile': 2, 'rejected: unsafe-id': 1 }]);
    assert.equal(exitCode(r), 1);
    assert.equal(r.nothingProduced, 'nothing produced: no chip was accepted (2 rejected: no-tile, 1 rejected: unsafe-id)');
  });

  test('every tile without scenes (a season with none): all rejected no-scenes (exit 1)', { timeout: 600_000 }, async () => {
    const r = await run('no-scenes', { config: (c) => ({ ...c, search: { from: '2019-03-01', to: '2019-09-30' } }) });
    assertEnded(r);
    assert.equal(r.rejected, r.expected);
    assert.deepEqual(r.reasons, { 'rejected: no-scenes': r.expected });
    assert.equal(r.tiles.rejected, r.tiles.requested);
    assert.match(formatSummary(r), /nothing produced: no chip was accepted \(\d+ rejected: no-scenes\)/);
  });

  test('the CDL and its reclass table swapped: the tile\'s chips fail with the reason, the run ends', { timeout: 600_000 }, async () => {
    const r = await run('swapped', {
      chipPayload: writePayload('swapped', payloadOf(chipsOf('even'))),
      config: (c) => ({ ...c, cdl: { source: world.reclassTable, reclass_table: world.cdl } }),
    });
    assertEnded(r);
    assert.equal(r.accepted, 0);
    assert.equal(r.failed, r.expected, formatSummary(r));
    assert.match(r.nothingProduced ?? '', /no chip was accepted \(\d+ failed: /);
    assert.equal(exitCode(r), 1);
  });

  test('a poison band (bytes that are no GeoTIFF, served under their own CID): its tile\'s chips fail, the others are accepted (exit 0)', { timeout: 600_000 }, async () => {
    // A copy of the granules with one band of the even tile's first scene overwritten at its start.
    const granules = join(tmp, 'poison-granules');
    cpSync(world.granuleDir, granules, { recursive: true });
    rmSync(join(granules, CID_MAPPING_FILE), { force: true });
    const even = world.plan.tiles.find((t) => t.role === 'even')!;
    const g = even.granules.find((x) => x.slot === 0)!.granuleId;
    const fd = openSync(join(granules, g, `${g}.B04.tif`), 'r+');
    writeSync(fd, Buffer.alloc(64, 0x5a), 0, 64, 0);
    closeSync(fd);
    const poisoned = await serve(granules, join(tmp, 'poison-blocks'));
    try {
      const r = await run('poison', { chipPayload: writePayload('poison', payloadOf([...chipsOf('even'), ...chipsOf('cascade')])), servers: poisoned });
      assertEnded(r);
      assert.equal(r.failed, even.chips.length, formatSummary(r));
      assert.ok(r.accepted > 0, formatSummary(r));
      assert.equal(exitCode(r), 0);
      assert.equal(r.tiles.failed, 1);
    } finally {
      await poisoned.close();
    }
  });

  test('hls-chips run on an empty payload: prints the summary saying why and exits 1', { timeout: 600_000 }, async () => {
    const cfg = demoConfig(join(tmp, 'cli'), world, servers.stacUrl, servers.gateway, 20_000);
    const yaml = join(tmp, 'cli.yaml');
    writeFileSync(yaml, JSON.stringify({ ...cfg, chip_payload_filename: writePayload('cli', { type: 'FeatureCollection', features: [] }) }));
    const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [main, 'run', '--config', yaml], { env: { ...process.env, NATS_URL: '' } });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.once('exit', (status) => resolve({ status, stdout, stderr }));
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /: complete in .* s\nnothing produced: the chip payload holds no chip\nchips: 0 expected, 0 accepted/);
  });
});
