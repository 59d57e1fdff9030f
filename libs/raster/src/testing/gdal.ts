// Test helpers that run GDAL and rasterio as the oracle. A missing tool is a failure that says
// how to install it, never a skip.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const INSTALL = 'apt-get install -y gdal-bin python3-rasterio';

export function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error(`${cmd} is not installed: run \`${INSTALL}\``, { cause: e });
    throw new Error(`${cmd} ${args.join(' ')} failed: ${err.stderr ?? err.message}`, { cause: e });
  }
}

/**
 * Issue 15's hostile band: a valid sparse 100,000 x 100,000 Int16 GeoTIFF (UTM 15N, 30 m), about 1 MB on
 * disk and 20 GB decoded, made by gdal_create. Returns `path`.
 */
export function sparseHugeGeoTiff(path: string): string {
  run('gdal_create', [
    '-q', '-outsize', '100000', '100000', '-ot', 'Int16', '-a_srs', 'EPSG:32615', '-a_ullr', '300000', '5000000', '3300000', '2000000',
    '-co', 'TILED=YES', '-co', 'SPARSE_OK=TRUE', '-co', 'COMPRESS=DEFLATE', path,
  ]);
  return path;
}

export interface GdalInfoBand {
  band: number;
  type: string;
  checksum?: number;
  noDataValue?: number;
  colorTable?: { entries: number[][] };
  overviews?: Array<{ size: [number, number] }>;
  block: [number, number];
  description?: string;
  scale?: number;
  offset?: number;
  metadata?: Record<string, Record<string, string>>;
}

export interface GdalInfo {
  size: [number, number];
  geoTransform: number[];
  coordinateSystem?: { wkt: string };
  stac?: { 'proj:epsg'?: number };
  bands: GdalInfoBand[];
  metadata?: Record<string, Record<string, string>>;
}

export function gdalinfo(path: string): GdalInfo {
  return JSON.parse(run('gdalinfo', ['-json', '-checksum', '-proj4', path])) as GdalInfo;
}

const PYTHON = '/usr/bin/python3';

/** rasterio's view of a file: CRS EPSG, transform (GDAL order), nodata, dtypes and a SHA-256 per band. */
export interface RasterioView {
  epsg: number | null;
  transform: number[];
  nodata: number | null;
  dtypes: string[];
  width: number;
  height: number;
  sha256: string[];
  colormap: Record<string, number[]> | null;
  /** What training code reads: band descriptions, scales, offsets, per-band nodata, dataset and band tags. */
  descriptions: (string | null)[];
  scales: number[];
  offsets: number[];
  nodatavals: (number | null)[];
  tags: Record<string, string>;
  bandTags: Record<string, string>[];
}

export function rasterioView(path: string): RasterioView {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run \`${INSTALL}\``);
  const script = `
import sys, json, hashlib
import rasterio
with rasterio.open(sys.argv[1]) as ds:
    cm = None
    try:
        cm = {str(k): list(v) for k, v in ds.colormap(1).items()}
    except ValueError:
        cm = None
    out = dict(
        epsg=ds.crs.to_epsg() if ds.crs else None,
        transform=list(ds.transform.to_gdal()),
        nodata=ds.nodata, dtypes=list(ds.dtypes), width=ds.width, height=ds.height,
        sha256=[hashlib.sha256(ds.read(i + 1).tobytes()).hexdigest() for i in range(ds.count)],
        colormap=cm, descriptions=list(ds.descriptions), scales=list(ds.scales), offsets=list(ds.offsets),
        nodatavals=list(ds.nodatavals), tags=ds.tags(), bandTags=[ds.tags(i + 1) for i in range(ds.count)])
    print(json.dumps(out))
`;
  try {
    return JSON.parse(run(PYTHON, ['-c', script, path])) as RasterioView;
  } catch (e) {
    if (e instanceof Error && /No module named 'rasterio'/.test(e.message)) throw new Error(`rasterio is missing: run \`${INSTALL}\``, { cause: e });
    throw e;
  }
}

/** Read a raster with GDAL into raw little-endian bytes per band (gdal_translate -of ENVI is simplest: raw BSQ). */
export function gdalReadBands(path: string, tmpDir: string, bandCount: number, bytesPerBand: number): Buffer[] {
  const out = `${tmpDir}/gdalread-${Math.random().toString(36).slice(2)}.bin`;
  run('gdal_translate', ['-q', '-of', 'ENVI', '-co', 'INTERLEAVE=BSQ', path, out]);
  const buf = readFileSync(out);
  const bands: Buffer[] = [];
  for (let b = 0; b < bandCount; b++) bands.push(buf.subarray(b * bytesPerBand, (b + 1) * bytesPerBand));
  return bands;
}

/** GDAL's own COG validator (`validate_cloud_optimized_geotiff.py --full-check=yes`): its errors and warnings, empty when valid. */
export function validateCog(path: string): string[] {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: run \`${INSTALL}\``);
  const script = `
import sys, json
from osgeo_utils.samples.validate_cloud_optimized_geotiff import validate
warnings, errors, _ = validate(sys.argv[1], full_check=True)
print(json.dumps(errors + warnings))
`;
  return JSON.parse(run(PYTHON, ['-c', script, path])) as string[];
}
