// Runs /usr/bin/python3 (numpy + rasterio, the oracle) for tests; fails loudly when it is not installed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PY = '/usr/bin/python3';

export function python(script: string, args: string[] = []): string {
  if (!existsSync(PY)) throw new Error(`${PY} is missing: apt-get install -y gdal-bin python3-rasterio`);
  const r = spawnSync(PY, ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    if (/No module named '(numpy|rasterio)'/.test(r.stderr)) throw new Error(`python3 lacks numpy/rasterio: apt-get install -y gdal-bin python3-rasterio\n${r.stderr}`);
    throw new Error(`python failed (${r.status}): ${r.stderr}`);
  }
  return r.stdout;
}

/**
 * Writes a chips_filtered/ dir with rasterio: per chip `<id>_merged.tif` (18 bands Int16) and
 * `<id>.mask.tif` (UInt8 classes), random but seeded. Returns nothing; files are the fixture.
 */
export function writeFilteredChips(dir: string, chipIds: string[], size: number, seed: number): void {
  python(
    `
import sys, numpy as np, rasterio
from rasterio.transform import from_origin
d, size, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(seed)
for k, cid in enumerate(sys.argv[4:]):
    t = from_origin(-2356095 + 6720 * k, 3172605, 30, 30)
    prof = dict(driver='GTiff', width=size, height=size, crs='EPSG:5070', transform=t)
    refl = rng.integers(0, 6000, size=(18, size, size)).astype('int16')
    refl[:, 0, :4] = rng.integers(-50, 16000, size=(18, 4))
    with rasterio.open(f'{d}/{cid}_merged.tif', 'w', count=18, dtype='int16', **prof) as f:
        f.write(refl)
    # classes 1..13 skewed, some 0; class 12 absent everywhere
    mask = rng.choice([0, 1, 2, 3, 3, 3, 4, 4, 5, 6, 7, 8, 9, 10, 11, 13], size=(1, size, size)).astype('uint8')
    with rasterio.open(f'{d}/{cid}.mask.tif', 'w', count=1, dtype='uint8', **prof) as f:
        f.write(mask)
`,
    [dir, String(size), String(seed), ...chipIds],
  );
}
