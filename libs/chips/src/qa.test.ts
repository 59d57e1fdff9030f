import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHIP, HLS, QA_RULES, VALID_FMASK_VALUES } from '@hls/contracts';
import { chipQaFigures, clipNegativesInPlace, countReflectanceNodata, decideQa, fmaskDateQa } from './qa.ts';

const N = CHIP.pixels * CHIP.pixels; // 50,176
const validFmask = (v = 64) => new Uint8Array(N).fill(v);
const bands = (v = 100) => Array.from({ length: 18 }, () => new Int16Array(N).fill(v));

describe('fmaskDateQa', () => {
  it('counts valid pixels and the single most frequent invalid value', () => {
    const f = validFmask();
    // 1000 px of 2 (cloud), 600 of 8, 50 of 255: the worst single value is 2 -> 1000 / 50176.
    f.fill(2, 0, 1000);
    f.fill(8, 1000, 1600);
    f.fill(255, 1600, 1650);
    const q = fmaskDateQa(f);
    assert.equal(q.validCount, N - 1650);
    assert.equal(q.badPercent, (100 * 1000) / N);
  });

  it('every value the original lists is valid, others are not', () => {
    for (const v of VALID_FMASK_VALUES) assert.equal(fmaskDateQa(new Uint8Array([v])).validCount, 1, String(v));
    for (const v of [1, 2, 8, 16, 255, 229]) assert.equal(fmaskDateQa(new Uint8Array([v])).badPercent, 100, String(v));
  });
});

describe('decideQa boundaries', () => {
  const chip = () => ({ fmask: [validFmask(), validFmask(0), validFmask(224)], bands: bands() });

  it('accepts a clean chip', () => {
    const c = chip();
    const qa = chipQaFigures(c.fmask, c.bands);
    assert.deepEqual(qa.validCounts, [N, N, N]);
    assert.deepEqual(decideQa(qa), { accepted: true, badPctMax: 0 });
  });

  it('rejects exactly 5 % and accepts just below', () => {
    // 5 % of a 224 x 224 chip is 2508.8 px: use a chip of 1000 px so 5 % is a whole 50 px.
    const at = new Uint8Array(1000).fill(0);
    at.fill(2, 0, 50);
    const below = new Uint8Array(1000).fill(0);
    below.fill(2, 0, 49);
    const ok = new Uint8Array(1000);
    const qaAt = chipQaFigures([ok, at, ok], []);
    assert.equal(qaAt.badPercents[1], QA_RULES.maxBadPercent);
    const d = decideQa(qaAt);
    assert.equal(d.accepted, false);
    assert.equal(d.accepted === false && d.reason, 'qa');
    assert.match(d.accepted === false ? d.detail : '', /second date/);
    assert.equal(decideQa(chipQaFigures([ok, below, ok], [])).accepted, true);
  });

  it('on a real 224 x 224 chip, 2508 bad px pass and 2509 fail', () => {
    const c = chip();
    c.fmask[2]!.fill(2, 0, 2508);
    assert.equal(decideQa(chipQaFigures(c.fmask, c.bands)).accepted, true);
    c.fmask[2]!.fill(2, 0, 2509);
    assert.equal(decideQa(chipQaFigures(c.fmask, c.bands)).accepted, false);
  });

  it('one nodata reflectance pixel rejects with reason nodata', () => {
    const c = chip();
    c.bands[17]![N - 1] = HLS.reflectanceNodata;
    const qa = chipQaFigures(c.fmask, c.bands);
    assert.equal(qa.nodataCount, 1);
    const d = decideQa(qa);
    assert.equal(d.accepted === false && d.reason, 'nodata');
  });

  it('one Fmask 255 pixel is nodata (and counts as invalid Fmask)', () => {
    const c = chip();
    c.fmask[0]![7] = HLS.fmaskNodata;
    const qa = chipQaFigures(c.fmask, c.bands);
    assert.equal(qa.nodataCount, 1);
    assert.equal(qa.validCounts[0], N - 1);
    assert.equal(decideQa(qa).accepted, false);
  });

  it('a date with no valid Fmask pixel is rejected as no-valid-fmask, naming the date', () => {
    const c = chip();
    c.fmask[1]!.fill(2);
    const d = decideQa(chipQaFigures(c.fmask, c.bands));
    assert.equal(d.accepted, false);
    if (!d.accepted) {
      assert.equal(d.reason, 'no-valid-fmask');
      assert.match(d.detail, /second date has no valid Fmask/);
      assert.match(d.detail, /100\.000 %/);
      assert.equal(d.badPctMax, 100);
    }
  });

  it('negative values other than nodata are not nodata; clipping happens after counting', () => {
    const c = chip();
    c.bands[0]![0] = -5;
    c.bands[0]![1] = HLS.reflectanceNodata;
    const qa = chipQaFigures(c.fmask, c.bands);
    assert.equal(qa.nodataCount, 1);
    clipNegativesInPlace(c.bands);
    assert.equal(c.bands[0]![0], 0);
    assert.equal(c.bands[0]![1], 0);
    assert.equal(c.bands[0]![2], 100);
  });

  it('counts and clips every value as one by one would, whatever the length and alignment (values are taken in pairs)', () => {
    const edge = [HLS.reflectanceNodata, -32768, -1, 0, 1, 32767, -5, 9999];
    const buffer = new Int16Array(1001);
    for (let i = 0; i < buffer.length; i++) buffer[i] = edge[(i * 7 + (i >> 3)) % edge.length]!;
    // An odd length, an even one, one starting off a 4-byte boundary, an empty one, a single nodata.
    const cases = [buffer.subarray(0, 999), buffer.subarray(0, 1000), buffer.subarray(1, 1000), buffer.subarray(0, 0), Int16Array.of(HLS.reflectanceNodata)];
    const oneByOne = (b: Int16Array) => b.reduce((n, v) => n + (v === HLS.reflectanceNodata ? 1 : 0), 0);
    for (const [i, c] of cases.entries()) {
      const copy = Int16Array.from(c);
      assert.equal(countReflectanceNodata([copy]), oneByOne(c), `case ${i}`);
      clipNegativesInPlace([copy]);
      assert.deepEqual([...copy], [...c].map((v) => Math.max(0, v)), `case ${i}`);
    }
    // In place on a view: only its own values change.
    const whole = Int16Array.from(buffer);
    clipNegativesInPlace([whole.subarray(1, 4)]);
    assert.deepEqual([...whole.subarray(0, 6)], [buffer[0], ...[...buffer.subarray(1, 4)].map((v) => Math.max(0, v)), buffer[4], buffer[5]]);
  });
});
