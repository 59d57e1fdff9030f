// The sample world on disk, built once per seed and options under `<data_dir>/world/<hash>/`:
//
//   grid/sentinel_tile_grid.kml                 the real S2 grid KML fixture (copied)
//   chips/demo_chip_payload.geojson (+ _5070)   the picked real chips, features verbatim
//   granules/<granule>/<granule>.cmr.xml         ECHO10 metadata of every candidate (the STAC server's --dir)
//   granules/<granule>/<granule>.<band>.tif      band COGs, only for the scenes the pipeline selects
//   cdl/cdl_demo_5070.tif, cdl/cdl_total_dst.csv the CDL raster on the CDL grid and the reclass table
//   world.json                                   the plan and file list; written last
//
// It is built in a sibling temp folder and renamed into place, so a crash never leaves a world that
// looks complete; a folder without a valid world.json is rebuilt.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BBox } from '@hls/contracts';
import { CHIP } from '@hls/contracts';
import { tileSearchGeometry, type S2Tile } from '@hls/geo';
import { parseReclassCodes } from './reclass-codes.ts';
import { addArchiveInfo, buildEcho10Xml } from '@hls/stac';
import { checkPlan, DEFAULT_WORLD, planWorld, type WorldOptions, type WorldPlan } from './plan.ts';
import { fieldMap, writeCdl, writeSceneBands } from './rasters.ts';
import { REAL_FIXTURES } from '@hls/common';

/** Bump when the generated content changes: old worlds are then rebuilt under a new hash. */
export const WORLD_VERSION = 3;

/** The full real fixtures beside the checkout (as @hls/common finds them); HLS_FIXTURES_DIR overrides. */
export { REAL_FIXTURES };

/**
 * The demo's fixtures shipped in the repository (libs/world/fixtures, see its SOURCES.md files): the cut of
 * the real fixtures the world reads, so a plain clone runs the demo. HLS_WORLD_FIXTURES_DIR overrides.
 */
export const WORLD_FIXTURES: string = process.env.HLS_WORLD_FIXTURES_DIR || resolve(import.meta.dirname, '..', 'fixtures');

export interface WorldFixtures {
  payload: string;
  gridKml: string;
  reclassTable: string;
}

/** The world's fixtures in the repository (or under `root` laid out the same way). */
export function defaultFixtures(root = WORLD_FIXTURES): WorldFixtures {
  return {
    payload: join(root, 'chips', 'midwest_crops_chip_payload_demo_tiles.geojson'),
    gridKml: join(root, 's2-grid', 'sentinel_tile_grid_demo_tiles.kml'),
    reclassTable: join(root, 'chips', 'cdl_total_dst.csv'),
  };
}

const missingHint = (): string =>
  process.env.HLS_WORLD_FIXTURES_DIR
    ? ` (HLS_WORLD_FIXTURES_DIR is ${process.env.HLS_WORLD_FIXTURES_DIR}; unset it to use the ones in the repository)`
    : ' (it ships in the repository under libs/world/fixtures: is the checkout complete?)';

/** The full real fixtures (shared/fixtures/real) the shipped ones are cut from. */
export function fullFixtures(root = REAL_FIXTURES): WorldFixtures {
  return {
    payload: join(root, 'chips', 'midwest_crops_chip_payload.geojson'),
    gridKml: join(root, 's2-grid', 'sentinel_tile_grid_subset.reconstructed.kml'),
    reclassTable: join(root, 'chips', 'cdl_total_dst.csv'),
  };
}

export interface World {
  dir: string;
  hash: string;
  /** True when this call generated it, false when a complete cached world was found. */
  generated: boolean;
  seconds: number;
  gridKml: string;
  chipPayload: string;
  granuleDir: string;
  cdl: string;
  reclassTable: string;
  plan: WorldPlan;
  /** Bytes on disk of the world's files. */
  bytes: number;
}

interface Manifest {
  version: number;
  hash: string;
  plan: WorldPlan;
  files: Record<string, number>;
  cdl: { bbox: BBox; width: number; height: number };
}

export function worldHash(o: WorldOptions): string {
  return createHash('sha256').update(JSON.stringify({ v: WORLD_VERSION, ...o })).digest('hex').slice(0, 12);
}

async function manifestOk(dir: string): Promise<Manifest | undefined> {
  try {
    const m = JSON.parse(await readFile(join(dir, 'world.json'), 'utf8')) as Manifest;
    if (m.version !== WORLD_VERSION) return undefined;
    for (const [rel, size] of Object.entries(m.files)) if ((await stat(join(dir, rel))).size !== size) return undefined;
    return m;
  } catch {
    return undefined;
  }
}

function worldOf(dir: string, m: Manifest, generated: boolean, seconds: number): World {
  return {
    dir,
    hash: m.hash,
    generated,
    seconds,
    gridKml: join(dir, 'grid', 'sentinel_tile_grid.kml'),
    chipPayload: join(dir, 'chips', 'demo_chip_payload.geojson'),
    granuleDir: join(dir, 'granules'),
    cdl: join(dir, 'cdl', 'cdl_demo_5070.tif'),
    reclassTable: join(dir, 'cdl', 'cdl_total_dst.csv'),
    plan: m.plan,
    bytes: Object.values(m.files).reduce((a, b) => a + b, 0),
  };
}

/** ECHO10 lists the footprint clockwise, unclosed. */
function echoFootprint(tile: Pick<S2Tile, 'epsg' | 'footprintUtm'>): [number, number][] {
  const ring = tileSearchGeometry({ name: 'x', epsg: tile.epsg, footprintUtm: tile.footprintUtm, parts: [], center: [0, 0] } as S2Tile).coordinates[0] as [number, number][];
  return ring.slice(0, -1).reverse().map(([x, y]) => [Math.round(x * 1e6) / 1e6, Math.round(y * 1e6) / 1e6]);
}

/** The features of `file` whose id is in `ids`, verbatim, as a FeatureCollection text. */
async function subsetCollection(file: string, ids: ReadonlySet<string>): Promise<string> {
  const doc = JSON.parse(await readFile(file, 'utf8')) as { type: string; features: Array<{ properties?: { id?: unknown } }> };
  const features = doc.features.filter((f) => typeof f.properties?.id === 'string' && ids.has(f.properties.id));
  return `${JSON.stringify({ ...doc, features }, null, 4)}\n`;
}

async function generate(dir: string, o: WorldOptions, fx: WorldFixtures, hash: string, log: (msg: string) => void): Promise<Manifest> {
  const plan = await planWorld(o, fx);
  checkPlan(plan);
  await mkdir(join(dir, 'grid'), { recursive: true });
  await mkdir(join(dir, 'chips'), { recursive: true });
  await mkdir(join(dir, 'cdl'), { recursive: true });
  await copyFile(fx.gridKml, join(dir, 'grid', 'sentinel_tile_grid.kml'));
  await copyFile(fx.reclassTable, join(dir, 'cdl', 'cdl_total_dst.csv'));
  const ids = new Set(plan.chipIds);
  await writeFile(join(dir, 'chips', 'demo_chip_payload.geojson'), await subsetCollection(fx.payload, ids));
  await writeFile(join(dir, 'chips', 'demo_chip_payload_5070.geojson'), await subsetCollection(fx.payload.replace(/\.geojson$/, '_5070.geojson'), ids));
  for (const [ti, tile] of plan.tiles.entries()) {
    const footprint = echoFootprint(tile);
    const fields = tile.granules.some((g) => g.slot !== undefined) ? fieldMap(tile.raster.width, tile.raster.height, o.seed * 31 + ti) : undefined;
    for (const [gi, g] of tile.granules.entries()) {
      const gdir = join(dir, 'granules', g.granuleId);
      await mkdir(gdir, { recursive: true });
      const urls = ['B02', 'B03', 'B04', 'B8A', 'B11', 'B12', 'Fmask'].map(
        (b) => `https://data.lpdaac.earthdatacloud.nasa.gov/lp-prod-protected/HLSS30.020/${g.granuleId}/${g.granuleId}.${b}.tif`,
      );
      await writeFile(
        join(gdir, `${g.granuleId}.cmr.xml`),
        buildEcho10Xml({ granuleId: g.granuleId, cloudCover: g.cloudCover, spatialCoverage: g.spatialCoverage, footprint, urls }),
      );
      if (g.slot !== undefined && fields) {
        log(`world: ${tile.tileId} scene ${g.slot + 1}/3 ${g.granuleId} (${tile.raster.width} x ${tile.raster.height})`);
        await writeSceneBands(gdir, tile, g, fields, o.seed * 1000 + ti * 100 + gi, o.texture ?? 0);
      }
    }
  }
  // As LP DAAC archives a granule: each band file's size and SHA512 in the .cmr.xml (DataGranule/AdditionalFile),
  // which the band sources verify downloads against.
  await addArchiveInfo(join(dir, 'granules'));
  // The CDL covers every chip with one chip of margin.
  const boxes = plan.tiles.flatMap((t) => t.chips.map((c) => c.bbox5070));
  const m = CHIP.sizeMetres;
  const bbox: BBox = [
    Math.min(...boxes.map((b) => b[0])) - m,
    Math.min(...boxes.map((b) => b[1])) - m,
    Math.max(...boxes.map((b) => b[2])) + m,
    Math.max(...boxes.map((b) => b[3])) + m,
  ];
  const codes = parseReclassCodes(await readFile(fx.reclassTable, 'utf8'));
  log(`world: CDL raster`);
  const cdl = await writeCdl(join(dir, 'cdl', 'cdl_demo_5070.tif'), bbox, o.seed + 7, codes);
  const files: Record<string, number> = {};
  const { readdir } = await import('node:fs/promises');
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    files[p.slice(dir.length + 1)] = (await stat(p)).size;
  }
  const manifest: Manifest = { version: WORLD_VERSION, hash, plan, files, cdl };
  await writeFile(join(dir, 'world.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  return manifest;
}

export interface EnsureWorldOptions {
  /** The run's data dir; the world lives in `<dataDir>/world/<hash>/`. */
  dataDir: string;
  options?: Partial<WorldOptions>;
  fixtures?: WorldFixtures;
  /** Progress lines (stderr in the CLI). */
  log?: (msg: string) => void;
  /** Rebuild even when a complete world is cached. */
  force?: boolean;
}

/** The world for these options: the cached one when complete, else generated now. */
export async function ensureWorld(opts: EnsureWorldOptions): Promise<World> {
  const t0 = performance.now();
  const o: WorldOptions = { ...DEFAULT_WORLD, ...opts.options };
  const hash = worldHash(o);
  const root = join(resolve(opts.dataDir), 'world');
  const dir = join(root, hash);
  const log = opts.log ?? (() => {});
  if (!opts.force) {
    const m = await manifestOk(dir);
    if (m) return worldOf(dir, m, false, (performance.now() - t0) / 1000);
  }
  const fx = opts.fixtures ?? defaultFixtures();
  for (const f of [fx.payload, fx.payload.replace(/\.geojson$/, '_5070.geojson'), fx.gridKml, fx.reclassTable])
    if (!existsSync(f)) throw new Error(`world: fixture ${f} is missing${opts.fixtures ? '' : missingHint()}`);
  const tmp = join(root, `.partial-${hash}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  log(`world: generating ${hash} (seed ${o.seed}) in ${dir}`);
  const manifest = await generate(tmp, o, fx, hash, log);
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return worldOf(dir, manifest, true, (performance.now() - t0) / 1000);
}
