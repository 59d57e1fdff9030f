// The step commands one after another (identify, retrieve, reproject, chip, qa, dataset all) give
// byte-identical chips and stats to the event-driven demo run over the same small world.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DATASET_DIRS, DATASET_FILES, FMASK_BAND, SERVICES, datasetDir } from '@hls/contracts';
import { startProvider } from '@hls/ipfs';
import { demoConfig } from '@hls/local-stack';
import { formatSummary, runDemo } from '@hls/pipeline';
import { reprojectFile } from '@hls/raster';
import { CID_MAPPING_FILE, startStacServer } from '@hls/stac';
import { buildProgram } from '../main.ts';
import { createServices } from '../registry.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-steps-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const files: string[] = [DATASET_FILES.globalStats, DATASET_FILES.classWeights, DATASET_FILES.trainIds, DATASET_FILES.valIds];
  for (const d of [DATASET_DIRS.chips, DATASET_DIRS.fmask, DATASET_DIRS.filtered, DATASET_DIRS.bandStats]) for (const f of readdirSync(join(dir, d))) files.push(`${d}/${f}`);
  for (const f of files.sort()) out[f] = createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
  return out;
}

async function cli(...args: string[]): Promise<void> {
  const program = await buildProgram();
  process.exitCode = 0;
  await program.parseAsync(['node', 'hls-chips', ...args]);
  assert.equal(process.exitCode ?? 0, 0, `hls-chips ${args.join(' ')} failed`);
}

test('step commands == event-driven run', { timeout: 600_000 }, async () => {
  const ref = await runDemo({ dataDir: join(tmp, 'events'), small: true, services: createServices(SERVICES), timeoutMs: 300_000 });
  assert.equal(ref.complete, true, formatSummary(ref));
  const world = ref.world;

  const provider = await startProvider({ dir: world.granuleDir, storeDir: join(tmp, 'blocks'), mappingFile: join(world.granuleDir, CID_MAPPING_FILE), bitswap: false });
  const stac = await startStacServer({ dir: world.granuleDir });
  const log = console.log;
  try {
    const cfg = demoConfig(join(tmp, 'steps'), world, stac.url, provider.gateway);
    const yaml = join(tmp, 'steps.yaml');
    writeFileSync(yaml, JSON.stringify(cfg));
    const dir = datasetDir(cfg.data_dir, cfg.train_dataset_name);
    console.log = () => {};
    await cli('chips', 'assign', '--chips', world.chipPayload, '--grid', world.gridKml, '--out', dir, '--no-cache');
    await cli('identify', '--config', yaml);
    await cli('retrieve', '--config', yaml, '--quiet');
    const tiles = join(dir, DATASET_DIRS.tiles);
    for (const g of readdirSync(tiles))
      for (const f of readdirSync(join(tiles, g)))
        await reprojectFile(join(tiles, g, f), join(dir, DATASET_DIRS.reprojected, f), { resampling: f.endsWith(`.${FMASK_BAND}.tif`) ? 'nearest' : 'bilinear', extent: 'footprint' });
    await cli('chip', '--config', yaml);
    await cli('qa', '--config', yaml);
    await cli('dataset', 'all', '--config', yaml);
    console.log = log;
    const steps = digest(dir);
    assert.equal(Object.keys(steps).filter((f) => f.startsWith(`${DATASET_DIRS.filtered}/`)).length, 2 * ref.accepted);
    assert.equal(Object.keys(steps).filter((f) => f.endsWith('_merged.tif')).length, ref.accepted + ref.world.plan.tiles[1]!.chips.length + ref.world.plan.tiles[0]!.chips.length);
    assert.deepEqual(steps, digest(ref.datasetDir));
  } finally {
    console.log = log;
    await stac.close();
    await provider.close();
  }
});
