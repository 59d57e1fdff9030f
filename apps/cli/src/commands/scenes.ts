// hls-chips scenes: inspect one metadata document; search a tile's scenes (and select its triple) from
// the configured source. Logic: @hls/stac.
import type { Command } from 'commander';
import type { AreaGeometry, Config, Scene } from '@hls/contracts';
import type { GranuleMetadata } from '@hls/stac';

function sceneText(s: Scene | GranuleMetadata, missing: string[] = []): string {
  const lines = [
    `granule       ${s.granuleId}`,
    `tile          ${s.tileId ?? '-'}`,
    ...('date' in s ? [`date          ${s.date}`] : []),
    `sensing time  ${s.sensingTime ?? '-'}`,
    `cloud cover   ${s.cloudCover ?? '-'}`,
    `coverage      ${s.spatialCoverage ?? '-'}`,
  ];
  if (missing.length > 0) lines.push(`MISSING       ${missing.join(', ')}`);
  const bands = Array.isArray(s.bands) ? s.bands : Object.entries(s.bands).map(([band, b]) => ({ band, ...b }));
  for (const b of bands) {
    lines.push(`  ${b.band.padEnd(5)} ${b.filename}`);
    if (b.href) lines.push(`        https ${b.href}`);
    if (b.s3) lines.push(`        s3    ${b.s3}`);
    lines.push(`        cid   ${b.cid ?? '-'}`);
  }
  return lines.join('\n');
}

/** Search geometry of a tile: --bbox, else the tile's footprint from the grid (flag or config). */
async function tileGeometry(tile: string, o: { bbox?: string; grid?: string }, config: Config): Promise<AreaGeometry | undefined> {
  if (o.bbox) {
    const b = o.bbox.split(',').map(Number);
    if (b.length !== 4 || b.some((x) => !Number.isFinite(x))) throw new Error(`--bbox must be minLon,minLat,maxLon,maxLat, got ${o.bbox}`);
    const [x0, y0, x1, y1] = b as [number, number, number, number];
    return { type: 'Polygon', coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] };
  }
  const grid = o.grid ?? config.grid_kml;
  if (!grid) return undefined;
  const { loadS2Grid, tileSearchGeometry } = await import('@hls/geo');
  const t = (await loadS2Grid(grid)).find((x) => x.name === tile);
  if (!t) throw new Error(`tile ${tile} is not in the grid ${grid}`);
  // The same search geometry the chip-index service sends stac-scout.
  return tileSearchGeometry(t);
}

/** Report an error as one line naming what failed, exit code 1 (no stack trace for expected failures). */
export function register(program: Command): void {
  const scenes = program.command('scenes').description('HLS scene metadata: inspect documents, search and select a tile\'s scenes');

  scenes
    .command('inspect')
    .description(
      'parse one metadata document (ECHO10 .cmr.xml, UMM-G JSON record or search results, CMR JSON feed, STAC item or ItemCollection) ' +
        'and print granule id, tile, cloud cover, spatial coverage, sensing time and each band\'s https/s3 links and CID. ' +
        'Exit code 1 when a granule cannot be read or lacks a field a scene needs',
    )
    .argument('<file>', 'metadata document')
    .option('--json', 'print JSON: {scenes, incomplete, problems}')
    .option('--cid-mapping <file>', 'filename -> CID mapping (easierdata format) to fill band CIDs')
    .action(async (file: string, o: { json?: boolean; cidMapping?: string }) => {
      const { applyCidMapping, loadCidMappingFile, missingFields, readMetadataFile, toScene } = await import('@hls/stac');
      const read = await readMetadataFile(file);
      const mapping = o.cidMapping ? await loadCidMappingFile(o.cidMapping) : undefined;
      const out: { scenes: Scene[]; incomplete: { record: GranuleMetadata; missing: string[]; error: string }[]; problems: string[] } = {
        scenes: [],
        incomplete: [],
        problems: read.problems.map((p) => p.message),
      };
      for (const r of read.records) {
        const rec = mapping ? applyCidMapping(r, mapping) : r;
        try {
          out.scenes.push(toScene(rec));
        } catch (e) {
          out.incomplete.push({ record: rec, missing: missingFields(rec), error: e instanceof Error ? e.message : String(e) });
        }
      }
      if (o.json) process.stdout.write(JSON.stringify(out, null, 2) + '\n');
      else {
        const blocks = [...out.scenes.map((s) => sceneText(s)), ...out.incomplete.map((i) => `${sceneText(i.record, i.missing)}\nERROR         ${i.error}`)];
        process.stdout.write(blocks.join('\n\n') + '\n');
        for (const p of out.problems) process.stderr.write(`problem: ${p}\n`);
      }
      if (out.incomplete.length > 0 || out.problems.length > 0) process.exitCode = 1;
    });

  scenes
    .command('search')
    .description(
      'search one tile\'s HLS scenes over the season from the configured source (stac.type api|catalog|directory; CMR-STAC by default), ' +
        'read each granule\'s metadata and, with --select, pick the first/middle/last scenes as the pipeline does. ' +
        'Prints one JSON document: {tile, source, scenes, problems, selection}',
    )
    .requiredOption('--tile <id>', 'MGRS tile, e.g. 15TVG')
    .option('--from <instant>', 'search start, YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD (= 00:00:00Z) (default: config search.from)')
    .option('--to <instant>', 'search end, an instant like search.to: YYYY-MM-DD means 00:00:00Z of that day, so the day itself is excluded (default: config search.to)')
    .option('--config <file>', 'config YAML (the original keys)')
    .option('--url <url>', 'STAC API root (sets stac.type api)')
    .option('--catalog <pathOrUrl>', 'static STAC catalog.json (sets stac.type catalog)')
    .option('--dir <dir>', 'local granule directory, one folder per granule with its .cmr.xml (sets stac.type directory)')
    .option('--grid <kml>', 'Sentinel-2 grid KML (or .grid.json) giving the tile footprint (default: config grid_kml)')
    .option('--bbox <minLon,minLat,maxLon,maxLat>', 'search area instead of the tile footprint')
    .option('--cid-mapping <file>', 'filename -> CID mapping (default: config stac.cid_mapping_file)')
    .option('--select', 'apply the cloud filter, coverage cascade and first/middle/last selection')
    .option('--write', 'with --select: add the tile to <dataset>/selected_tiles.csv and tile_payloads.json')
    .action(async (o: { tile: string; from?: string; to?: string; config?: string; url?: string; catalog?: string; dir?: string; grid?: string; bbox?: string; cidMapping?: string; select?: boolean; write?: boolean }) => {
      const [{ loadConfig }, { TileIdSchema, datasetDir }, { findScenes, loadCidMappingFile, mergeSceneParts, sceneSourceFor, selectScenes, tileSearchParams, writeScenePart }] = await Promise.all([
        import('@hls/config'),
        import('@hls/contracts'),
        import('@hls/stac'),
      ]);
      const tile = TileIdSchema.safeParse(o.tile);
      if (!tile.success) {
        process.stderr.write(`hls-chips scenes search: --tile ${o.tile}: ${tile.error.issues[0]?.message}\n`);
        process.exitCode = 2;
        return;
      }
      const stac: Record<string, unknown> = {};
      if (o.url) Object.assign(stac, { type: 'api', url: o.url });
      if (o.catalog) Object.assign(stac, { type: 'catalog', url: o.catalog });
      if (o.dir) Object.assign(stac, { type: 'directory', path: o.dir });
      if (o.cidMapping) stac.cid_mapping_file = o.cidMapping;
      const search: Record<string, string> = {};
      if (o.from) search.from = o.from;
      if (o.to) search.to = o.to;
      const config = loadConfig({ file: o.config, overrides: { ...(Object.keys(stac).length ? { stac } : {}), ...(Object.keys(search).length ? { search } : {}) } });
      const geometry = await tileGeometry(tile.data, o, config);
      if (!geometry && config.stac.type === 'api') {
        process.stderr.write('hls-chips scenes search: a STAC API search needs the tile footprint: give --grid (or config grid_kml) or --bbox\n');
        process.exitCode = 2;
        return;
      }
      const source = sceneSourceFor(config, { onEvent: (e) => process.stderr.write(`${e.type}: ${e.url} (${e.reason}), waiting ${e.waitMs} ms\n`) });
      const mapping = config.stac.cid_mapping_file ? await loadCidMappingFile(config.stac.cid_mapping_file) : undefined;
      const found = await findScenes(source, tileSearchParams(config, geometry), { tileId: tile.data, ...(mapping ? { cidMapping: mapping } : {}) });
      const result: Record<string, unknown> = { tile: tile.data, source: source.name, scenes: found.scenes, problems: found.problems, otherTiles: found.otherTiles };
      if (o.select) {
        const sel = selectScenes(found.scenes, { cloudCoverThreshold: config.cloud_cover_threshold, middle: config.scene_selection.middle });
        result.selection = sel.ok ? { ok: true, coverageLevel: sel.coverageLevel, candidates: sel.candidates.length, granuleIds: sel.scenes.map((s) => s.granuleId) } : sel;
        if (sel.ok && o.write) {
          const dir = datasetDir(config.data_dir, config.train_dataset_name);
          await writeScenePart(dir, tile.data, sel.scenes);
          result.written = (await mergeSceneParts(dir)).files;
        }
      }
      process.stdout.write(JSON.stringify(result, null, 2) + '\n');
      for (const p of found.problems) process.stderr.write(`problem: ${p.message}\n`);
    });
}
