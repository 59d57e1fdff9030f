// hls-chips identify: the original identify_hls_scenes step. Chip index (payload + tile grid), then for
// every tile a scene search over the season, the cloud filter, coverage cascade and first/middle/last
// selection; writes <dataset>/selected_tiles.csv and tile_payloads.json. Logic: @hls/geo, @hls/stac.
import type { Command } from 'commander';
import { wholeNumber } from '../options.ts';

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function register(program: Command): void {
  program
    .command('identify')
    .description(
      'identify each tile\'s 3 scenes (identify_hls_scenes): assign chips to Sentinel-2 tiles, search each tile\'s HLS scenes ' +
        '(stac.type api|catalog|directory; CMR-STAC by default) over search.from..search.to, keep cloud cover <= ' +
        'cloud_cover_threshold, walk the coverage cascade 100..50 %, take the first/middle/last by date, and write ' +
        '<dataset>/selected_tiles.csv and tile_payloads.json. Prints one JSON summary; a failing tile is reported, the rest go on',
    )
    .option('--config <file>', 'config YAML (the original keys)')
    .option('--payload <file>', 'chip payload GeoJSON, EPSG:4326 (default: config chip_payload_filename)')
    .option('--grid <kml>', 'Sentinel-2 tile grid KML or .grid.json (default: config grid_kml)')
    .option('--dataset <dir>', 'dataset dir (default: <data_dir>/training_datasets/<train_dataset_name>)')
    .option('--url <url>', 'STAC API root (sets stac.type api)')
    .option('--catalog <pathOrUrl>', 'static STAC catalog.json (sets stac.type catalog)')
    .option('--dir <dir>', 'local granule directory (sets stac.type directory; layout: hls-chips stac serve --help)')
    .option('--tile <id>', 'only this tile (repeatable)', collect, [])
    .option('--concurrency <n>', 'tiles searched at once', wholeNumber(1), 4)
    .action(async (o: { config?: string; payload?: string; grid?: string; dataset?: string; url?: string; catalog?: string; dir?: string; tile: string[]; concurrency: number }) => {
      const [{ loadConfig }, { datasetDir }, { indexChips, tileSearchGeometry }, { identifyScenes }] = await Promise.all([
        import('@hls/config'),
        import('@hls/contracts'),
        import('@hls/geo'),
        import('@hls/stac'),
      ]);
      const stac: Record<string, unknown> = {};
      if (o.url) Object.assign(stac, { type: 'api', url: o.url });
      if (o.catalog) Object.assign(stac, { type: 'catalog', url: o.catalog });
      if (o.dir) Object.assign(stac, { type: 'directory', path: o.dir });
      const config = loadConfig({ file: o.config, overrides: Object.keys(stac).length ? { stac } : {} });
      const payload = o.payload ?? config.chip_payload_filename;
      const grid = o.grid ?? config.grid_kml;
      if (!payload || !grid) {
        process.stderr.write(`hls-chips identify: missing ${[!payload && '--payload (or chip_payload_filename)', !grid && '--grid (or grid_kml)'].filter(Boolean).join(', ')}\n`);
        process.exitCode = 2;
        return;
      }
      const index = await indexChips(payload, grid);
      const areaOf = new Map(index.assigned.map((a) => [a.chip.id as string, a.chip.geometry]));
      const groups = o.tile.length > 0 ? index.tiles.filter((g) => o.tile.includes(g.tile.name)) : index.tiles;
      const dir = o.dataset ?? datasetDir(config.data_dir, config.train_dataset_name);
      const r = await identifyScenes(
        config,
        dir,
        groups.map((g) => ({ tileId: g.tile.name, geometry: tileSearchGeometry(g.tile), chipIds: g.chipIds, chipAreas: g.chipIds.map((id) => areaOf.get(id)!).filter(Boolean) })),
        {
          concurrency: o.concurrency,
          onEvent: (e) => process.stderr.write(`${e.type}: ${e.url} (${e.reason}), waiting ${e.waitMs} ms\n`),
          onTile: (t) => {
            const what = t.selected ? `selected ${t.selected.join(' ')}` : t.rejected ? `rejected: ${t.rejected.detail}` : `failed: ${t.error}`;
            process.stderr.write(`tile ${t.tileId} (${t.chips} chips, ${t.scenesFound} scenes): ${what}\n`);
            for (const p of t.problems) process.stderr.write(`  problem: ${p.message}\n`);
          },
        },
      );
      const summary = {
        dataset: dir,
        chips: index.assigned.length,
        chipsWithoutTile: index.rejected.length,
        tiles: r.tiles.length,
        selected: r.tiles.filter((t) => t.selected).length,
        rejected: r.tiles.filter((t) => t.rejected).map((t) => ({ tile: t.tileId, chips: t.chips, ...t.rejected })),
        failed: r.tiles.filter((t) => t.error).map((t) => ({ tile: t.tileId, chips: t.chips, error: t.error })),
        problems: r.tiles.reduce((n, t) => n + t.problems.length, 0),
        files: r.files,
      };
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
      if (summary.failed.length > 0) process.exitCode = 1;
    });
}
