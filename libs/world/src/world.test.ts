import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BANDS, HLS, HLS_BAND_LONG_NAMES, VALID_FMASK_VALUES } from '@hls/contracts';
import { indexChips } from '@hls/geo';
import { readRasterInfo, readRasterWindow } from '@hls/raster';
import { gdalinfo, rasterioView, validateCog } from '@hls/raster/testing';
import { CDL_COLORS, ensureWorld, SMALL_WORLD } from './index.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hls-world-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out[p.slice(dir.length + 1)] = createHash('sha256').update(readFileSync(p)).digest('hex');
  }
  return out;
}

describe('sample world (small)', () => {
  test('real chips in 2 tiles + a no-scenes tile, rasters only for selected scenes, cached and deterministic', async () => {
    const w = await ensureWorld({ dataDir: join(tmp, 'a'), options: SMALL_WORLD });
    assert.equal(w.generated, true);
    const [a, b, c] = w.plan.tiles;
    assert.ok(a && b && c);
    assert.deepEqual([a.role, b.role, c.role], ['cascade', 'even', 'no-scenes']);
    // The chip payload indexes (with @hls/geo) onto exactly the planned tiles.
    const r = await indexChips(w.chipPayload, w.gridKml, { cacheFile: false });
    assert.equal(r.payload.twin, 'read');
    const planned = new Map(w.plan.tiles.flatMap((t) => t.chips.map((ch) => [ch.id, t.tileId] as const)));
    assert.equal(r.assigned.length, planned.size);
    for (const x of r.assigned) assert.equal(x.tile.name, planned.get(x.chip.id));
    // Selection: cascade below 100 % with an even candidate count, even tile at 100 %, third tile none.
    assert.ok(a.selection.ok && a.selection.coverageLevel < 100 && a.selection.candidates % 2 === 0);
    assert.ok(b.selection.ok && b.selection.coverageLevel === 100 && b.selection.candidates === 4);
    assert.equal(c.selection.ok, false);
    // Band files exist exactly for selected scenes.
    for (const t of w.plan.tiles)
      for (const g of t.granules) {
        const has = BANDS.map((band) => existsSync(join(w.granuleDir, g.granuleId, `${g.granuleId}.${band}.tif`)));
        assert.ok(existsSync(join(w.granuleDir, g.granuleId, `${g.granuleId}.cmr.xml`)));
        assert.deepEqual(has, BANDS.map(() => g.slot !== undefined), g.granuleId);
      }
    // The partial scene has nodata (-9999 / 255) and its Fmask flags clouds; clear pixels are valid values.
    const partial = a.granules.find((g) => g.wedge && g.slot !== undefined)!;
    const px = (await readRasterWindow(join(w.granuleDir, partial.granuleId, `${partial.granuleId}.Fmask.tif`))).bands[0]!;
    let nodata = 0;
    let cloud = 0;
    let valid = 0;
    for (const v of px as Uint8Array) {
      if (v === HLS.fmaskNodata) nodata++;
      else if (v & 2) cloud++;
      else if (VALID_FMASK_VALUES.includes(v)) valid++;
    }
    assert.ok(nodata > 0 && cloud > 0 && valid > px.length / 2, `nodata ${nodata} cloud ${cloud} valid ${valid}`);
    // GDAL reads the band as LP DAAC ships it: the tile's UTM CRS, Int16 -9999, the HLS metadata items,
    // band description and scale/offset, internal overviews in a COG layout.
    const bandPath = (band: string) => join(w.granuleDir, partial.granuleId, `${partial.granuleId}.${band}.tif`);
    const info = gdalinfo(bandPath('B04'));
    const b4 = info.bands[0]!;
    assert.equal(b4.type, 'Int16');
    assert.equal(b4.noDataValue, -9999);
    // The user-defined CRS of the archives (ProjectedCSTypeGeoKey 32767), which our reader takes as EPSG:32615.
    assert.match(info.coordinateSystem?.wkt ?? '', /^PROJCRS\["UTM Zone 15, Northern Hemisphere",\s*BASEGEOGCRS\["Unknown datum based upon the WGS 84 ellipsoid"/);
    assert.doesNotMatch(info.coordinateSystem?.wkt ?? '', /ID\["EPSG",32615\]/);
    assert.deepEqual(b4.metadata?.[''], { _FillValue: '-9999', add_offset: '0', long_name: 'Red', scale_factor: '0.0001' });
    assert.deepEqual([b4.description, b4.scale, b4.offset], ['Red', 0.0001, 0]);
    assert.deepEqual(b4.block, [256, 256]);
    assert.ok((b4.overviews?.length ?? 0) >= 1, `overviews of ${bandPath('B04')}`);
    assert.equal(info.metadata?.['']?.cloud_coverage, String(Math.round(partial.cloudCover)));
    assert.equal(info.metadata?.['']?.spatial_coverage, String(Math.round(partial.spatialCoverage)));
    assert.equal(info.metadata?.['']?.SENSING_TIME?.slice(0, 10), partial.date);
    assert.equal(info.metadata?.IMAGE_STRUCTURE?.LAYOUT, 'COG', 'gdalinfo sees a COG layout');
    assert.deepEqual(validateCog(bandPath('B04')), []);
    const fm = gdalinfo(bandPath('Fmask')).bands[0]!;
    assert.deepEqual([fm.type, fm.noDataValue, fm.description, fm.scale], ['Byte', 255, 'Fmask', undefined]);
    assert.deepEqual(fm.metadata?.[''], { _FillValue: '255', long_name: 'Fmask' });
    // Every reflectance band carries its HLS long_name; rasterio reads what training code reads.
    for (const band of BANDS) {
      const rio = rasterioView(bandPath(band));
      assert.equal(rio.descriptions[0], HLS_BAND_LONG_NAMES[band], band);
      assert.equal(rio.bandTags[0]?.long_name, HLS_BAND_LONG_NAMES[band], band);
      assert.deepEqual([rio.scales[0], rio.offsets[0], rio.nodata], band === 'Fmask' ? [1, 0, 255] : [0.0001, 0, -9999], band);
    }
    const ours = await readRasterInfo(bandPath('B8A'));
    assert.equal(ours.epsg, 32615);
    assert.deepEqual([ours.descriptions, ours.scale, ours.offset, ours.bandMetadata[0]?.long_name], [['NIR_Narrow'], [0.0001], [0], 'NIR_Narrow']);

    // The CDL: on the CDL grid, with the CDL colour table.
    const cdl = gdalinfo(w.cdl);
    assert.match(cdl.coordinateSystem?.wkt ?? '', /^PROJCRS\["USA_Contiguous_Albers_Equal_Area_Conic_USGS_version"/);
    assert.doesNotMatch(cdl.coordinateSystem?.wkt ?? '', /ID\["EPSG",5070\]\s*\]\s*$/);
    assert.equal((await readRasterInfo(w.cdl)).epsg, 5070);
    assert.equal(((cdl.geoTransform[0] as number) + 2356095) % 30, 0);
    const entries = cdl.bands[0]?.colorTable?.entries ?? [];
    assert.equal(entries.length, 256);
    assert.deepEqual(entries[1], [...CDL_COLORS[1]!, 255], 'corn is NASS yellow');
    assert.deepEqual(entries[5], [...CDL_COLORS[5]!, 255], 'soybeans are NASS green');

    // Cached: a second call finds it complete and generates nothing.
    const again = await ensureWorld({ dataDir: join(tmp, 'a'), options: SMALL_WORLD });
    assert.equal(again.generated, false);
    // An incomplete world (a file truncated) is rebuilt.
    writeFileSync(w.cdl, 'x');
    const rebuilt = await ensureWorld({ dataDir: join(tmp, 'a'), options: SMALL_WORLD });
    assert.equal(rebuilt.generated, true);
    // Deterministic: the same seed elsewhere gives byte-identical files.
    const other = await ensureWorld({ dataDir: join(tmp, 'b'), options: SMALL_WORLD });
    assert.deepEqual(digest(other.dir), digest(rebuilt.dir));
  });

  test('texture: the same world with every reflectance value moved by at most +-texture DN (never to nodata or below 1), Fmask unchanged, bands as large as real HLS ones', async () => {
    const flat = await ensureWorld({ dataDir: join(tmp, 'a'), options: SMALL_WORLD });
    const textured = await ensureWorld({ dataDir: join(tmp, 'tex'), options: { ...SMALL_WORLD, texture: 300 } });
    assert.notEqual(textured.hash, flat.hash);
    const g = flat.plan.tiles[1]!.granules.find((x) => x.slot !== undefined)!.granuleId;
    const file = (w: typeof flat, band: string) => join(w.granuleDir, g, `${g}.${band}.tif`);
    const fm = await Promise.all([flat, textured].map(async (w) => (await readRasterWindow(file(w, 'Fmask'))).bands[0]!));
    assert.ok(Buffer.from(fm[0]!.buffer).equals(Buffer.from(fm[1]!.buffer)), 'Fmask unchanged');
    const [a, b] = await Promise.all([flat, textured].map(async (w) => (await readRasterWindow(file(w, 'B04'))).bands[0]! as Int16Array));
    let moved = 0;
    for (let i = 0; i < a!.length; i++) {
      const [x, y] = [a![i]!, b![i]!];
      if (x === HLS.reflectanceNodata) assert.equal(y, x, `pixel ${i}: nodata stays nodata`);
      else {
        assert.ok(y >= 1 && Math.abs(y - Math.max(1, x)) <= 300 + 1, `pixel ${i}: ${x} -> ${y}`);
        if (y !== x) moved++;
      }
    }
    assert.ok(moved > a!.length / 2, `${moved} of ${a!.length} values textured`);
    const size = (w: typeof flat) => statSync(file(w, 'B04')).size;
    assert.ok(size(textured) > 10 * size(flat), `${size(textured)} bytes textured, ${size(flat)} flat`);
  });
});
