import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CDL_GRID, CHIP, type BBox } from '@hls/contracts';
import { aoiBbox5070, chipCandidates, chipRecordFromBox, chipWeight, classWeights, classWeightsCsv, sampleChips, type CdlSource } from './chip-boxes.ts';
import { chipBoxAt } from './cdl-grid.ts';
import { deriveChipBox5070 } from './chip-payload.ts';
import { FIXTURES } from './test-helpers.ts';

/** old_class_value -> new_class_value of the real table, -1 for codes it lacks. */
function realReclass(): Int16Array {
  const lines = readFileSync(`${FIXTURES}/chips/cdl_total_dst.csv`, 'utf8').trim().split('\n');
  const head = lines[0]!.split(',');
  const o = head.indexOf('old_class_value');
  const n = head.indexOf('new_class_value');
  const t = new Int16Array(256).fill(-1);
  for (const l of lines.slice(1)) {
    const c = l.split(',');
    t[Number(c[o])] = Number(c[n]);
  }
  return t;
}

const P = CHIP.pixels;

/** An in-memory CDL raster whose origin is on the CDL grid but not on the chip lattice. */
function memoryCdl(chipRow0: number, chipCol0: number, rows: number, cols: number, fill: (chipR: number, chipC: number, r: number, c: number) => number) {
  // 37 px of margin left and 11 px on top, so chips start inside the raster at a lattice offset.
  const mx = 37;
  const my = 11;
  const width = cols * P + mx + 5;
  const height = rows * P + my + 3;
  const data = new Uint8Array(width * height).fill(1);
  for (let y = 0; y < rows * P; y++)
    for (let x = 0; x < cols * P; x++) data[(y + my) * width + x + mx] = fill(Math.floor(y / P), Math.floor(x / P), y % P, x % P);
  const gx = CDL_GRID.x0 + (chipCol0 * P - mx) * 30;
  const gy = CDL_GRID.y0 - (chipRow0 * P - my) * 30;
  const reads: number[] = [];
  const src: CdlSource = {
    source: 'memory.tif',
    width,
    height,
    geoTransform: [gx, 30, 0, gy, 0, -30],
    epsg: 5070,
    read: async (w) => {
      reads.push(w.height);
      assert.ok(w.x >= 0 && w.y >= 0 && w.x + w.width <= width && w.y + w.height <= height, 'window inside the raster');
      const out = new Uint8Array(w.width * w.height);
      for (let r = 0; r < w.height; r++) out.set(data.subarray((w.y + r) * width + w.x, (w.y + r) * width + w.x + w.width), r * w.width);
      return out;
    },
  };
  return { src, reads };
}

// Codes of the real table mapping to 10 different classes (152->1, 142->2, 1->3, 5->4, 190->5, 121->6, 111->7, 24->8, 36->9, 61->10).
const TEN = [152, 142, 1, 5, 190, 121, 111, 24, 36, 61];

test('chip weight is the original formula', () => {
  assert.equal(chipWeight([0, 10, 10, 10, 10, 10, 10, 10, 10]), 1);
  assert.equal(chipWeight([0, 50, 10, 10, 10, 10, 10, 10, 0]), 0, 'seven classes: minus one, floored at 0');
  assert.equal(chipWeight([0, 40, 10, 10, 10, 10, 10, 5, 5]), 0.65);
  assert.equal(chipWeight([0, 30, 10, 10, 10, 10, 10, 10, 10, 0, 0, 0, 0, 0]), 0.7, 'min over all classes is 0');
  assert.equal(chipWeight([0, 0, 0]), 0);
});

test('candidates: lattice ids from the grid origin, CDL 0 drops a chip, counts after reclass, one strip read per chip row', async () => {
  const reclass = realReclass();
  const { src, reads } = memoryCdl(40, 300, 2, 3, (cr, cc, r, c) => {
    if (cr === 0 && cc === 1 && r === 100 && c === 7) return 0; // nodata pixel: chip dropped
    if (cr === 1 && cc === 2) return 152; // one class: weight 0
    return TEN[(r * P + c) % (cr === 0 ? 10 : 8)]!;
  });
  const all: BBox = [-3e6, 0, 3e6, 4e6];
  const { candidates, nClasses } = await chipCandidates(src, all, reclass);
  assert.equal(nClasses, 13);
  assert.deepEqual(
    candidates.map((c) => c.id),
    ['chip_040_300', 'chip_040_302', 'chip_041_300', 'chip_041_301', 'chip_041_302'],
  );
  assert.deepEqual(reads, [P, P]);
  const a = candidates[0]!;
  assert.deepEqual(a.bbox5070, chipBoxAt(40, 300));
  assert.equal(a.counts.reduce((s, v) => s + v, 0), P * P);
  // Brute-force counts for chip 041_300 (8 classes, cycling through the first 8 codes).
  const want = new Float64Array(14);
  for (let i = 0; i < P * P; i++) want[reclass[TEN[i % 8]!]!]!++;
  assert.deepEqual([...candidates[2]!.counts], [...want]);
  assert.equal(candidates[2]!.weight, 1 - Math.max(...want) / (P * P));
  assert.equal(candidates[4]!.weight, 0);
  // An AOI box around one chip only.
  const b = chipBoxAt(41, 301);
  const one = await chipCandidates(src, [b[0] - 10, b[1] - 10, b[2] + 10, b[3] + 10], reclass);
  assert.deepEqual(one.candidates.map((c) => c.id), ['chip_041_301']);
  await assert.rejects(chipCandidates({ ...src, geoTransform: [src.geoTransform[0] + 7, 30, 0, src.geoTransform[3], 0, -30] }, all, reclass), /memory\.tif: origin .* not on the CDL grid/);
});

test('seeded weighted sample: deterministic, top N, zero weight never drawn; class weights', async () => {
  const { src } = memoryCdl(10, 10, 3, 4, (cr, cc, r, c) => (cr * 4 + cc === 5 ? 152 : TEN[(r + c * (cr + 1) + cc) % (8 + ((cr + cc) % 3))]!));
  const { candidates, nClasses } = await chipCandidates(src, [-3e6, 0, 3e6, 4e6], realReclass());
  assert.equal(candidates.length, 12);
  const s1 = sampleChips(candidates, 5, 7, 20_000);
  const s2 = sampleChips(candidates, 5, 7, 20_000);
  assert.deepEqual(s1.map((c) => c.id), s2.map((c) => c.id));
  assert.equal(s1.length, 5);
  assert.ok(!sampleChips(candidates, 12, 7, 20_000).some((c) => c.weight === 0));
  const w = classWeights(s1, nClasses);
  assert.equal(w.length, 13);
  assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.equal(w[12], 0, 'a class with no pixels gets 0');
  assert.match(classWeightsCsv(w), /^,0\n1,0\.\d+/);
});

test('lon/lat chip records derive back to the same CDL box', () => {
  const b = chipBoxAt(85, 328);
  const rec = chipRecordFromBox('chip_085_328' as never, b);
  const d = deriveChipBox5070(rec.geometry, rec.center);
  assert.ok(d.ok);
  assert.deepEqual(d.ok && d.bbox, b);
  // The real payload's lon/lat corners for this chip (6 decimals) come out the same.
  assert.deepEqual((rec.geometry.coordinates as number[][][][])[0]![0]![0], [-97.970213, 46.387352]);
  // pyproj gave the centre as (-97.92577178518833, 46.3576747215992); proj4js agrees to 1e-12 degrees.
  assert.ok(Math.abs(rec.center[0] + 97.92577178518833) < 1e-12 && Math.abs(rec.center[1] - 46.3576747215992) < 1e-12);
  const aoi = aoiBbox5070([{ type: 'Polygon', coordinates: [[[-98, 46], [-97, 46], [-97, 47], [-98, 47], [-98, 46]]] }]);
  assert.ok(aoi[0] < b[0] && aoi[2] > b[2] && aoi[1] < b[1] && aoi[3] > b[3]);
});
