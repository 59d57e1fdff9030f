// hls-chips web: the AOI selector and the live run map. Thin: the server is @hls/web.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { port } from '../options.ts';


interface WebOptions {
  port: number;
  host: string;
  chips?: string;
  grid?: string;
  config?: string;
  out: string;
  basemap?: string;
  basemapAttribution?: string;
  traceUrl?: string;
  nats: boolean;
}

/** An http(s) URL template that names {traceId}: anything else would give the page dead links. */
export function checkTraceUrl(template: string): void {
  if (!template.includes('{traceId}')) throw new Error(`--trace-url ${JSON.stringify(template)}: must contain {traceId}`);
  let u: URL;
  try {
    u = new URL(template.replaceAll('{traceId}', '0'));
  } catch {
    throw new Error(`--trace-url ${JSON.stringify(template)}: not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`--trace-url ${JSON.stringify(template)}: must be http or https`);
}

export function register(program: Command): void {
  const web = program
    .command('web')
    .description(
      'serve the AOI selector (draw a polygon over the chip boxes and the Sentinel-2 grid, save aoi_selections/<NAME>_chip_payload.geojson ' +
        'and its _5070 twin, as `chips filter` does) at / and the live run map (chips coloured by state from the NATS events) at /run; ' +
        'works offline: Leaflet comes from node_modules and base-map tiles are off unless --basemap is given',
    )
    .option('--port <port>', 'port to listen on (0: any free port)', port, 8765)
    .option('--host <host>', 'address to bind (keep 127.0.0.1 unless you mean to expose it)', '127.0.0.1')
    .option('--chips <file>', 'chip payload GeoJSON, EPSG:4326 (default: chip_payload_filename from the config)')
    .option('--grid <kml>', 'Sentinel-2 tile grid KML or its .grid.json cache (default: grid_kml from the config)')
    .option('--config <file>', 'config YAML (chip payload, grid, NATS connection)')
    .option('--out <dir>', 'directory that holds aoi_selections/', '.')
    .option('--basemap <url>', 'base-map tile URL template, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png (default: none; env HLS_WEB_BASEMAP)')
    .option('--basemap-attribution <text>', 'attribution shown for the base map')
    .option('--trace-url <template>', "trace viewer URL with {traceId}, e.g. 'http://localhost:16686/trace/{traceId}' (Jaeger): trace ids become links")
    .option('--no-nats', 'do not connect to NATS (no run view)');
  web.action(async (o: WebOptions) => {
    try {
      const { loadConfig } = await import('@hls/config');
      const cfg = loadConfig(o.config ? { file: o.config } : {});
      const chipsFile = o.chips ?? cfg.chip_payload_filename;
      const gridFile = o.grid ?? cfg.grid_kml;
      const basemap = o.basemap ?? process.env.HLS_WEB_BASEMAP;
      if (o.traceUrl !== undefined) checkTraceUrl(o.traceUrl);
      // Loaded here, not at CLI start: other commands do not pay for the server and NATS client.
      const { startWebApp } = await import('@hls/web');
      const app = await startWebApp({
        ...(chipsFile ? { chipsFile } : {}),
        ...(gridFile ? { gridFile } : {}),
        outDir: resolve(o.out),
        ...(o.nats ? { nats: cfg.nats } : {}),
        port: o.port,
        host: o.host,
        ...(o.traceUrl ? { traceUrl: o.traceUrl } : {}),
        ...(basemap ? { baseMap: { url: basemap, ...(o.basemapAttribution ? { attribution: o.basemapAttribution } : {}) } } : {}),
        log: (m) => process.stderr.write(`${m}\n`),
      });
      process.stdout.write(
        `hls-chips web: ${app.url}/ (AOI selector, ${app.chips} chips, ${app.tiles} tiles), ${app.url}/run (run view${app.feed ? '' : `: off${app.natsProblem ? `, ${app.natsProblem}` : ''}`})\n`,
      );
      const stop = () => {
        app.close().finally(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (e) {
      web.error(`error: ${(e as Error).message}`);
    }
  });
}
