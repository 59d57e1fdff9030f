// Timed runs of our reprojection (or decode only) in their own process, so peak RSS is their own.
// Prints {seconds (median over runs), runs, maxRssMb} as JSON.
// Usage: node run-ours.ts warp IN OUT [runs] | decode IN [runs]
// With runs > 1 the process stays warm between runs, as a reprojector service does.
import { readRasterWindow, reprojectFile } from '@hls/raster';

const [mode, input, arg3, arg4] = process.argv.slice(2);
if (!input || (mode !== 'warp' && mode !== 'decode') || (mode === 'warp' && !arg3)) throw new Error('usage: run-ours.ts warp IN OUT [runs] | decode IN [runs]');
const runs = Number((mode === 'warp' ? arg4 : arg3) ?? 1);
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  if (mode === 'warp') await reprojectFile(input, arg3!, { resampling: 'bilinear' });
  else await readRasterWindow(input);
  times.push((performance.now() - t0) / 1000);
}
times.sort((a, b) => a - b);
const seconds = times[Math.floor(times.length / 2)]!;
process.stdout.write(`${JSON.stringify({ seconds, runs: times, maxRssMb: process.resourceUsage().maxRSS / 1024 })}\n`);
