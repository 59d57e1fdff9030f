// Test and benchmark inputs built from real data: a full-size ESA-layout KML made by repeating the
// fixture's real Placemarks, and a synthetic whole-world Sentinel-2-like grid (109.8 km UTM squares on
// a 100 km lattice, like the MGRS tiles) for assignment benchmarks.
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { transformer, utmEpsg } from './crs.ts';
import type { S2Tile } from './s2-grid-kml.ts';

/**
 * Write a KML with `count` Placemarks taken cyclically from `srcKml` (same header and footer), padded with
 * whitespace between Placemarks up to `targetBytes`. Returns the bytes written.
 */
export async function replicateKml(srcKml: string, outFile: string, count: number, targetBytes = 0): Promise<number> {
  const text = await readFile(srcKml, 'utf8');
  const first = text.indexOf('<Placemark');
  const lastClose = text.lastIndexOf('</Placemark>') + '</Placemark>'.length;
  const head = text.slice(0, first);
  const tail = text.slice(lastClose);
  const marks = text
    .slice(first, lastClose)
    .split('</Placemark>')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => `${s}</Placemark>\n`);
  let body = 0;
  for (let i = 0; i < count; i++) body += Buffer.byteLength(marks[i % marks.length] as string);
  const fixed = Buffer.byteLength(head) + Buffer.byteLength(tail) + body;
  const padTotal = Math.max(0, targetBytes - fixed);
  const out = createWriteStream(outFile);
  let written = 0;
  const put = async (s: string) => {
    written += Buffer.byteLength(s);
    if (!out.write(s)) await once(out, 'drain');
  };
  await put(head);
  for (let i = 0; i < count; i++) {
    const pad = Math.floor((padTotal * (i + 1)) / count) - Math.floor((padTotal * i) / count);
    await put((marks[i % marks.length] as string) + ' '.repeat(pad));
  }
  await put(tail);
  out.end();
  await once(out, 'finish');
  return written;
}

/**
 * A world grid like Sentinel-2's: per UTM zone and hemisphere, 109,800 m squares whose corners step by
 * 100 km (so neighbours overlap by 9.8 km), between latitudes -80 and 84. Names are synthetic.
 */
export function syntheticWorldGrid(): S2Tile[] {
  const tiles: S2Tile[] = [];
  const side = 109_800;
  for (let zone = 1; zone <= 60; zone++) {
    for (const north of [true, false]) {
      const epsg = utmEpsg(zone, north);
      const inv = transformer(epsg, 4326);
      const lo = north ? 0 : 1_100_000;
      const hi = north ? 9_400_000 : 10_000_000;
      for (let ulY = lo + side; ulY <= hi; ulY += 100_000) {
        for (let ulX = 100_000; ulX <= 800_000; ulX += 100_000) {
          const fp: [number, number, number, number] = [ulX, ulY - side, ulX + side, ulY];
          const ring: [number, number][] = [
            inv([fp[0], fp[3]]),
            inv([fp[2], fp[3]]),
            inv([fp[2], fp[1]]),
            inv([fp[0], fp[1]]),
          ];
          ring.push([...ring[0]!] as [number, number]);
          // Keep a lon/lat ring continuous; no splitting: the synthetic grid is for CONUS-side benchmarks.
          for (let i = 1; i < ring.length; i++) {
            const p = ring[i]!;
            while (p[0] - ring[i - 1]![0] > 180) p[0] -= 360;
            while (p[0] - ring[i - 1]![0] < -180) p[0] += 360;
          }
          const center = inv([ulX + side / 2, ulY - side / 2]);
          tiles.push({ name: `${String(zone).padStart(2, '0')}${north ? 'N' : 'S'}${ulX / 100_000}${ulY / 100_000}`, epsg, footprintUtm: fp, parts: [ring], center });
        }
      }
    }
  }
  return tiles;
}
