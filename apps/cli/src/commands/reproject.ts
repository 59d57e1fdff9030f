// hls-chips reproject: warp one GeoTIFF onto the CDL grid (EPSG:5070, 30 m), as the reprojector does.
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { ExtentMode, Resampling } from '@hls/raster';
import { LIMITS } from '@hls/contracts/domain';

/** IN.tif -> IN_5070.tif next to it. */
export function defaultReprojectOutput(input: string): string {
  return /\.tiff?$/i.test(input) ? input.replace(/(\.tiff?)$/i, '_5070$1') : `${input}_5070.tif`;
}

function oneOf<T extends string>(values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${values.join(', ')}`);
    return v as T;
  };
}

export function register(program: Command): void {
  program
    .command('reproject')
    .description(
      'warp a GeoTIFF (e.g. an HLS band in its UTM zone) onto the CDL grid: EPSG:5070, 30 m, pixel edges at ' +
        'x = -2356095 + 30k, y = 3172605 - 30k; writes a tiled DEFLATE GeoTIFF and prints one JSON line {output, bbox5070, width, height}',
    )
    .argument('<in>', 'input GeoTIFF (local path or http(s) URL)')
    .option('--out <file>', 'output GeoTIFF (default: next to the input with a _5070 suffix)')
    .option('--resampling <method>', 'bilinear (reflectance) or nearest (Fmask, classes)', oneOf<Resampling>(['bilinear', 'nearest']), 'bilinear')
    .option(
      '--extent <mode>',
      "footprint: the input's footprint snapped outward to the grid; padded: the input grown by half its size on every side (the original pipeline's extent)",
      oneOf<ExtentMode>(['footprint', 'padded']),
      'footprint',
    )
    .option('--config <file>', 'config YAML (limits.max_raster_pixels caps the input and output size; HLS_LIMITS__MAX_RASTER_PIXELS works too)')
    .action(async (input: string, o: { out?: string; resampling: Resampling; extent: ExtentMode; config?: string }) => {
      const output = o.out ?? defaultReprojectOutput(input.replace(/^https?:\/\/.*\//i, ''));
      // Nothing configured: the default limit, without loading the config's validation (zod, YAML).
      const { configGiven } = await import('@hls/config/env');
      const [maxPixels, { reprojectFile }] = await Promise.all([
        configGiven(o.config) ? import('@hls/config').then(({ loadConfig }) => loadConfig({ file: o.config }).limits.max_raster_pixels) : LIMITS.maxRasterPixels,
        import('@hls/raster'),
      ]);
      const r = await reprojectFile(input, output, { resampling: o.resampling, extent: o.extent, maxPixels });
      process.stdout.write(`${JSON.stringify({ output: r.output, bbox5070: r.bbox5070, width: r.window.width, height: r.window.height })}\n`);
    });
}
