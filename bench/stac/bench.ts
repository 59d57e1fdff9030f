// Scene-discovery throughput: ECHO10 parsing, selection, and a paged search through the local STAC
// server (items + one .cmr.xml per item, over HTTP on 127.0.0.1).
// Usage: node bench/stac/bench.ts [granules=400] [pageSize=100] [concurrency=16]
// Prints figures only; nothing is asserted. Data goes to a temp dir that is removed afterwards.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BANDS, SceneSchema } from '@hls/contracts';
import { Limiter } from '@hls/common';
import { StacApiSource, findScenes, readEcho10, selectScenes, startStacServer, toScene, writeGranuleDirectory } from '@hls/stac';
import { REAL_FIXTURES } from '@hls/common';

/** A valid HHMMSS unique per i (< 50400). */
const hms = (i: number): string => [10 + Math.floor(i / 3600), Math.floor(i / 60) % 60, i % 60].map((v) => String(v).padStart(2, '0')).join('');

const n = Number(process.argv[2] ?? 400);
const pageSize = Number(process.argv[3] ?? 100);
const concurrency = Number(process.argv[4] ?? 16);

const real = readFileSync(`${REAL_FIXTURES}/hls-metadata/echo10_cmr-concept_G2963019115-LPCLOUD_HLS.L30.T06WVS.2024120T211159.v2.0.xml`, 'utf8');
let t = performance.now();
const reps = 2000;
for (let i = 0; i < reps; i++) toScene(readEcho10(real, 'bench'));
let s = (performance.now() - t) / 1000;
console.log(`ECHO10 (${(real.length / 1024).toFixed(0)} kB, CMR-served L30) -> Scene: ${(reps / s).toFixed(0)} docs/s`);

const scenes = Array.from({ length: 20_000 }, (_, i) => {
  const doy = 1 + (i % 365);
  const g = `HLS.S30.T15TVG.2022${String(doy).padStart(3, '0')}T${hms(i)}.v2.0`;
  return SceneSchema.parse({ granuleId: g, tileId: '15TVG', date: new Date(Date.UTC(2022, 0, doy)).toISOString().slice(0, 10), cloudCover: i % 40, spatialCoverage: 40 + (i % 61), bands: BANDS.map((band) => ({ band, filename: `${g}.${band}.tif` })) });
});
t = performance.now();
const sel = selectScenes(scenes);
console.log(`selectScenes over ${scenes.length} scenes: ${(performance.now() - t).toFixed(1)} ms (level ${sel.ok ? sel.coverageLevel : '-'})`);

const dir = await mkdtemp(join(tmpdir(), 'bench-stac-'));
try {
  const fp: [number, number][] = [[-94.2, 42.4], [-92.9, 42.4], [-92.9, 41.4], [-94.2, 41.4]];
  await writeGranuleDirectory(
    dir,
    Array.from({ length: n }, (_, i) => ({ granuleId: `HLS.S30.T15TVG.2022${String(1 + (i % 365)).padStart(3, '0')}T${hms(i)}.v2.0`, cloudCover: i % 30, spatialCoverage: 100 - (i % 50), footprint: fp })),
  );
  const server = await startStacServer({ dir, maxPageSize: pageSize });
  try {
    const src = new StacApiSource(server.url, { limiter: new Limiter(concurrency) });
    t = performance.now();
    const found = await findScenes(src, { collections: ['HLSS30_2.0'], limit: pageSize }, { tileId: '15TVG', concurrency });
    s = (performance.now() - t) / 1000;
    const searches = server.requests.filter((r) => r.path.includes('/search')).length;
    console.log(`paged search + .cmr.xml per item: ${found.scenes.length} scenes, ${searches} pages, ${server.requests.length} requests in ${s.toFixed(2)} s = ${(found.scenes.length / s).toFixed(0)} scenes/s (limit ${concurrency})`);
  } finally {
    await server.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
