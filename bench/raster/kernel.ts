// Micro-benchmark of the warp kernel alone (decode once, warp N times, min and median seconds).
// `node bench/raster/kernel.ts [file] [n]` (default: the file bench/raster/warp.ts generates).
import { join } from 'node:path';
import { cdlWindowFor, coordGrid, openRaster, warpWithGrid } from '@hls/raster';

const file = process.argv[2] ?? join(import.meta.dirname, '..', 'out', 'raster', 'HLS.S30.T15TVG.2022152T170851.v2.0.B04.tif');
const n = Number(process.argv[3] ?? 7);
const src = await openRaster(file);
const r = await src.read();
const w = cdlWindowFor(src);
const g = coordGrid(src, w, 0.05);
const times: number[] = [];
for (let i = 0; i < n; i++) {
  const t = performance.now();
  warpWithGrid({ ...src, data: r.bands[0]! }, w, g, { resampling: 'bilinear' });
  times.push((performance.now() - t) / 1000);
}
times.sort((a, b) => a - b);
console.log(`warp kernel ${w.width}x${w.height}: min ${times[0]!.toFixed(3)} s, median ${times[Math.floor(n / 2)]!.toFixed(3)} s`);
await src.close();
