// hls-chips chip: the chipping step over what is reprojected (generate_training_chips.py "import dataframes
// and chip"): every chip whose tile has its 3 scenes x 7 bands in tiles_reprojected/ is clipped into
// chips/ and chips_fmask/, its QA figures recorded and track_chips.csv written. Logic: @hls/chips.
import type { Command } from 'commander';

export interface DatasetFlags {
  dataset?: string;
  config?: string;
}

/** The dataset dir from --dataset, else from the config (<data_dir>/training_datasets/<train_dataset_name>). */
export async function resolveDatasetDir(o: DatasetFlags): Promise<string> {
  if (o.dataset) return o.dataset;
  const [{ loadConfig }, { datasetDir }] = await Promise.all([import('@hls/config'), import('@hls/contracts')]);
  const c = loadConfig({ file: o.config });
  return datasetDir(c.data_dir, c.train_dataset_name);
}

const collect = (v: string, prev: string[]): string[] => [...prev, v];

export function register(program: Command): void {
  program
    .command('chip')
    .description(
      'clip every chip whose tile is complete in <dataset>/tiles_reprojected/ (3 scenes x 7 bands): chips/<chip>_merged.tif ' +
        '(18 x Int16, date-major B02 B03 B04 B8A B11 B12), chips_fmask/<chip>_Fmask.tif (3 x UInt8), chips/<chip>.mask.tif (reclassed CDL, ' +
        'colour map); records the QA figures and writes track_chips.csv. Prints one JSON summary line; bad chips are reported, the rest go on',
    )
    .option('--dataset <dir>', 'dataset dir (default: from the config, <data_dir>/training_datasets/<train_dataset_name>)')
    .option('--config <file>', 'config YAML (the original keys); flags win over it')
    .option('--payload-5070 <file>', 'EPSG:5070 chip payload (default: the _5070 twin of the config chip_payload_filename)')
    .option('--cdl <source>', 'CDL GeoTIFF on the CDL grid, local path or http(s) COG (default: config cdl.source)')
    .option('--reclass <csv>', 'cdl_total_dst.csv reclass table (default: config cdl.reclass_table)')
    .option('--chips-table <csv>', 'chips_df.csv giving each chip its tile (default: <dataset>/chips_df.csv when present, else the tile whose rasters contain the chip)')
    .option('--chip <id>', 'only this chip (repeatable)', collect, [])
    .action(async (o: DatasetFlags & { payload5070?: string; cdl?: string; reclass?: string; chipsTable?: string; chip: string[] }) => {
      const [{ loadConfig }, { datasetDir }, { chipDataset, loadReclassTable }, { twinPathOf }] = await Promise.all([
        import('@hls/config'),
        import('@hls/contracts'),
        import('@hls/chips'),
        import('@hls/geo'),
      ]);
      const cfg = o.config || !o.dataset || !o.cdl || !o.reclass || !o.payload5070 ? loadConfig({ file: o.config }) : null;
      const dir = o.dataset ?? datasetDir(cfg!.data_dir, cfg!.train_dataset_name);
      const cdl = o.cdl ?? cfg?.cdl.source;
      const reclass = o.reclass ?? cfg?.cdl.reclass_table;
      const payload = o.payload5070 ?? (cfg?.chip_payload_filename ? twinPathOf(cfg.chip_payload_filename) : undefined);
      const missing = [!cdl && '--cdl (or cdl.source)', !reclass && '--reclass (or cdl.reclass_table)', !payload && '--payload-5070 (or chip_payload_filename)'].filter(Boolean);
      if (missing.length > 0) {
        process.stderr.write(`hls-chips chip: missing ${missing.join(', ')}\n`);
        process.exitCode = 2;
        return;
      }
      const summary = await chipDataset({
        datasetDir: dir,
        payload5070: payload!,
        cdlSource: cdl!,
        reclass: await loadReclassTable(reclass!),
        chipsTable: o.chipsTable,
        only: o.chip.length > 0 ? o.chip : undefined,
      });
      for (const f of summary.failed) process.stderr.write(`chip ${f.chipId} failed: ${f.error}\n`);
      for (const t of summary.tileProblems) process.stderr.write(`tile ${t.tileId} not chipped: ${t.detail}\n`);
      process.stdout.write(`${JSON.stringify({ dataset: dir, clipped: summary.clipped, rejected: summary.rejected, failed: summary.failed, tileProblems: summary.tileProblems })}\n`);
      if (summary.failed.length > 0) process.exitCode = 1;
    });
}
