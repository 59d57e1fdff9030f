// hls-chips chips ...: the chip-index step and its helpers (the original's create_chip_5070_payload and
// AOI selection). Thin: the work is in @hls/geo.
import type { Command } from 'commander';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ChipIssue } from '@hls/geo';
import { wholeNumber } from '../options.ts';

/** Report a failure as a one-line command error (exit 1), not a stack trace. */
function guarded<A extends unknown[]>(cmd: () => Command, fn: (...a: A) => Promise<void>): (...a: A) => Promise<void> {
  return async (...a: A) => {
    try {
      await fn(...a);
    } catch (e) {
      cmd().error(`error: ${(e as Error).message}`);
    }
  };
}

function printRejected(rejected: readonly ChipIssue[]): void {
  const byReason = new Map<string, number>();
  for (const r of rejected) byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
  if (rejected.length > 0) {
    process.stdout.write(`rejected: ${rejected.length} (${[...byReason].map(([k, v]) => `${k} ${v}`).join(', ')})\n`);
    for (const r of rejected) process.stderr.write(`rejected ${r.reason}: ${r.detail}\n`);
  }
}

async function gridFrom(o: { grid?: string; config?: string }): Promise<string> {
  const { loadConfig } = await import('@hls/config');
  const grid = o.grid ?? loadConfig(o.config ? { file: o.config } : {}).grid_kml;
  if (!grid) throw new Error('no tile grid: pass --grid <KML> or set grid_kml in the config (HLS_GRID_KML)');
  return grid;
}

export function register(program: Command): void {
  const chips = program.command('chips').description('chip payloads: tile assignment, EPSG:5070 twins, AOI selections');

  const assign = chips
    .command('assign')
    .description(
      'assign every chip the Sentinel-2 tile whose UTM footprint contains it (nearest centre in EPSG:5070 among those); ' +
        'writes chips_id.json, chips_df.csv and tile_choice_report.csv (chips the naive nearest-centroid rule would put elsewhere) and prints a summary',
    )
    .requiredOption('--chips <file>', 'chip payload GeoJSON (EPSG:4326); its <name>_5070.geojson twin is read when present, else derived')
    .option('--grid <kml>', 'Sentinel-2 tile grid KML (ESA layout) or its cached .grid.json (default: grid_kml from the config)')
    .option('--config <file>', 'config YAML (for grid_kml)')
    .option('--out <dir>', 'directory for the output files', '.')
    .option('--no-cache', 'do not read or write the compact grid cache (kept in the temp dir, keyed by the KML path)');
  assign.action(
    guarded(() => assign, async (o: { chips: string; grid?: string; config?: string; out: string; cache: boolean }) => {
      const t0 = performance.now();
      const { indexChips, writeChipIndexFiles } = await import('@hls/geo');
      const r = await indexChips(o.chips, await gridFrom(o), o.cache ? {} : { cacheFile: false });
      const files = await writeChipIndexFiles(resolve(o.out), r);
      const differ = r.assigned.filter((a) => a.naiveTile?.name !== a.tile.name).length;
      process.stdout.write(
        `chips: ${r.assigned.length + r.rejected.length} in ${o.chips} (5070 twin ${r.payload.twin === 'read' ? `read from ${r.payload.twinFile}` : 'derived'})\n` +
          `assigned: ${r.assigned.length} chips to ${r.tiles.length} tiles; the naive centroid rule would differ for ${differ}\n`,
      );
      printRejected(r.rejected);
      for (const x of r.payload.twinExtra) process.stderr.write(`warning: ${x.detail}\n`);
      process.stdout.write(`wrote: ${files.join(', ')} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    }),
  );

  const to5070 = chips
    .command('to-5070')
    .description("write the EPSG:5070 twin <name>_5070.geojson of a chip payload (the original's create_chip_5070_payload): boxes transformed, snapped to the CDL grid, checked 224 x 224 px")
    .argument('<chips>', 'chip payload GeoJSON (EPSG:4326)')
    .option('--out <file>', 'output file (default: <name>_5070.geojson next to the payload)');
  to5070.action(
    guarded(() => to5070, async (file: string, o: { out?: string }) => {
      const { readChipPayload, twinPathOf, writeTwin } = await import('@hls/geo');
      const p = await readChipPayload(file, { derive: true });
      const out = o.out ?? twinPathOf(file);
      await writeTwin(out, p.chips);
      process.stdout.write(`wrote ${out}: ${p.chips.length} chips\n`);
      printRejected(p.rejected);
    }),
  );

  const filter = chips
    .command('filter')
    .description(
      'the chips an AOI polygon touches (share some area with it, as the original select_aoi map kept them; --within: only those wholly inside), ' +
        'written as aoi_selections/<NAME>_chip_payload.geojson and its _5070 twin',
    )
    .requiredOption('--aoi <file>', 'AOI GeoJSON (EPSG:4326 Polygon/MultiPolygon, Feature or FeatureCollection)')
    .requiredOption('--chips <file>', 'chip payload GeoJSON (EPSG:4326)')
    .requiredOption('--name <name>', "selection name (letters, digits, '_', '-')")
    .option('--out <dir>', 'directory that holds aoi_selections/', '.')
    .option('--within', 'keep only the chips wholly inside the AOI (default: every chip that shares area with it)')
    .option('--intersects', 'the default (chips that touch the AOI); kept for scripts written when it was an option');
  filter.action(
    guarded(() => filter, async (o: { aoi: string; chips: string; name: string; out: string; within?: boolean; intersects?: boolean }) => {
      if (o.within && o.intersects) throw new Error('chips filter: --within and --intersects contradict each other; give one');
      const { aoiGeometries, readChipPayload, validateSelectionName, writeAoiSelection } = await import('@hls/geo');
      validateSelectionName(o.name);
      const aoi = aoiGeometries(JSON.parse(await readFile(o.aoi, 'utf8')) as unknown, o.aoi);
      const p = await readChipPayload(o.chips);
      const r = await writeAoiSelection(resolve(o.out), o.name, p.chips, aoi, o.within ? 'within' : 'intersects');
      process.stdout.write(`selected ${r.chips.length} of ${p.chips.length} chips\nwrote: ${r.payload}, ${r.twin}\n`);
      printRejected(p.rejected);
    }),
  );

  const boxes = chips
    .command('boxes')
    .description(
      "chip boxes from a CDL GeoTIFF (the original's create_bb): 224 x 224 px chips on the lattice from the CDL grid origin " +
        '(ids chip_<row>_<col>) inside the AOI box, chips holding CDL 0 dropped, classes counted after the reclass table, ' +
        'each chip weighted 1 - (max - min) / sum of its class counts (0 under 8 classes), a seeded weighted draw, the N drawn most kept; ' +
        'writes <name>_chip_payload.geojson, its _5070 twin and <name>_class_weights.csv. The CDL is read by window, never whole',
    )
    .requiredOption('--cdl <tif>', 'CDL GeoTIFF on the CDL grid (local path or http(s) COG URL)')
    .requiredOption('--aoi <file>', 'AOI GeoJSON (EPSG:4326); its bounding box in EPSG:5070 bounds the chips')
    .requiredOption('--n <count>', 'number of chips to keep', wholeNumber(1))
    .option('--seed <seed>', 'random seed of the weighted draw', wholeNumber(), 0)
    .option('--draws <count>', 'weighted draws (with replacement) to rank chips by', wholeNumber(1), 1_000_000)
    .option('--reclass <csv>', 'cdl_total_dst.csv (old_class_value -> new_class_value); default: cdl.reclass_table from the config')
    .option('--config <file>', 'config YAML (for cdl.reclass_table)')
    .option('--name <name>', "output name prefix (letters, digits, '_', '-')", 'bb')
    .option('--out <dir>', 'output directory', '.');
  boxes.action(
    guarded(
      () => boxes,
      async (o: { cdl: string; aoi: string; n: number; seed: number; draws: number; reclass?: string; config?: string; name: string; out: string }) => {
        const [{ loadConfig }, { loadReclassTable }, { openRaster, requireEpsg }, geo] = await Promise.all([
          import('@hls/config'),
          import('@hls/chips'),
          import('@hls/raster'),
          import('@hls/geo'),
        ]);
        const { aoiBbox5070, aoiGeometries, chipCandidates, chipRecordFromBox, classWeights, classWeightsCsv, payloadCollection, sampleChips, twinPathOf, writePythonJson, writeTwin } = geo;
        geo.validateSelectionName(o.name);
        const reclassFile = o.reclass ?? loadConfig(o.config ? { file: o.config } : {}).cdl.reclass_table;
        if (!reclassFile) throw new Error('no reclass table: pass --reclass <cdl_total_dst.csv> or set cdl.reclass_table in the config');
        const reclass = await loadReclassTable(reclassFile);
        const aoi = aoiGeometries(JSON.parse(await readFile(o.aoi, 'utf8')) as unknown, o.aoi);
        const raster = await openRaster(o.cdl);
        try {
          const src = {
            source: o.cdl,
            width: raster.width,
            height: raster.height,
            geoTransform: raster.geoTransform,
            epsg: requireEpsg(raster.crs, o.cdl),
            read: async (window: { x: number; y: number; width: number; height: number }) => (await raster.read({ window, bands: [0] })).bands[0] as ArrayLike<number>,
          };
          const { candidates, nClasses } = await chipCandidates(src, aoiBbox5070(aoi), reclass);
          const picked = sampleChips(candidates, o.n, o.seed, o.draws);
          const records = picked.map((c) => chipRecordFromBox(c.id, c.bbox5070));
          const out = resolve(o.out);
          await mkdir(out, { recursive: true });
          const payload = join(out, `${o.name}_chip_payload.geojson`);
          const twin = twinPathOf(payload);
          const weights = join(out, `${o.name}_class_weights.csv`);
          await writePythonJson(payload, payloadCollection(records));
          await writeTwin(twin, records);
          await writeFile(weights, classWeightsCsv(classWeights(picked, nClasses)));
          const usable = candidates.filter((c) => c.weight > 0).length;
          process.stdout.write(
            `candidates: ${candidates.length} chips without CDL 0 (${usable} with weight > 0); kept ${picked.length} of ${o.n} asked\n` +
              `wrote: ${payload}, ${twin}, ${weights}\n`,
          );
        } finally {
          await raster.close();
        }
      },
    ),
  );
}
