// hls-chips qa: the filter step ("filter out resultant chipped scenes"): decide every chip the chip step
// recorded (valid Fmask in every date, worst single invalid value < 5 %, no nodata), copy the accepted
// merged + mask files to chips_filtered/ and rewrite track_chips.csv with the decisions.
import type { Command } from 'commander';
import { resolveDatasetDir, type DatasetFlags } from './chip.ts';

export function register(program: Command): void {
  program
    .command('qa')
    .description(
      'decide every clipped chip of the dataset (accept when every date has valid Fmask pixels, the single most frequent invalid Fmask ' +
        'value covers < 5 % in every date and no pixel is nodata), copy accepted chips to chips_filtered/, rewrite track_chips.csv; ' +
        'prints one JSON summary line',
    )
    .option('--dataset <dir>', 'dataset dir (default: from the config)')
    .option('--config <file>', 'config YAML (the original keys)')
    .action(async (o: DatasetFlags) => {
      const dir = await resolveDatasetDir(o);
      const { qaDataset } = await import('@hls/chips');
      const r = await qaDataset(dir);
      const reasons: Record<string, number> = {};
      for (const x of r.rejected) reasons[x.reason] = (reasons[x.reason] ?? 0) + 1;
      process.stdout.write(`${JSON.stringify({ dataset: dir, accepted: r.accepted.length, rejected: r.rejected.length, reasons })}\n`);
    });
}
