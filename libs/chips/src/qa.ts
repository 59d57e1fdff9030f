// QA figures of one chip, the original pipeline's rules (generate_training_chips.py check_qa), with the real
// HLS v2.0 nodata (-9999; the original compared with -1000, which never occurs).
import { HLS, QA_RULES, SCENES_PER_TILE, VALID_FMASK_VALUES, type QaFigures } from '@hls/contracts';

const VALID = new Uint8Array(256);
for (const v of VALID_FMASK_VALUES) VALID[v] = 1;

export interface DateQa {
  /** Pixels whose Fmask value is one of VALID_FMASK_VALUES. */
  validCount: number;
  /** Percent of the chip covered by the single most frequent invalid Fmask value (0 when none is invalid). */
  badPercent: number;
}

/** Valid count and worst single-invalid-value share of one date's Fmask chip. */
export function fmaskDateQa(fmask: Uint8Array): DateQa {
  const counts = new Uint32Array(256);
  for (let i = 0; i < fmask.length; i++) counts[fmask[i]!]!++;
  let validCount = 0;
  let worst = 0;
  for (let v = 0; v < 256; v++) {
    const c = counts[v]!;
    if (VALID[v]) validCount += c;
    else if (c > worst) worst = c;
  }
  // The original divides by 224 * 224, the chip's pixel count; a clipped chip always has that size.
  const badPercent = fmask.length === 0 ? 0 : (100 * worst) / fmask.length;
  return { validCount, badPercent };
}

/** The band's values two at a time (a 32-bit word each), and the index of the first value left over. */
function pairsOf(b: Int16Array): { words: Int32Array; rest: number } {
  // A view off a 4-byte boundary cannot be read as words: its values are taken one by one.
  if (b.byteOffset % 4 !== 0) return { words: new Int32Array(0), rest: 0 };
  const even = b.length & ~1;
  return { words: new Int32Array(b.buffer, b.byteOffset, even >> 1), rest: even };
}
/** Both sign bits of a word of two Int16 values. */
const SIGNS = 0x80008000 | 0;

/** Band values equal to the HLS reflectance nodata (each band of each pixel counts once). */
export function countReflectanceNodata(bands: readonly Int16Array[]): number {
  // A local constant: the loop then compares with a register, not a property load per value.
  const nodata = HLS.reflectanceNodata;
  let n = 0;
  for (const b of bands) {
    // The nodata is negative: a pair of values with neither sign bit set holds none (most pairs; twice as
    // few loads and compares as value by value).
    const { words, rest } = pairsOf(b);
    for (let k = 0; k < words.length; k++) {
      if ((words[k]! & SIGNS) === 0) continue;
      if (b[2 * k] === nodata) n++;
      if (b[2 * k + 1] === nodata) n++;
    }
    for (let i = rest; i < b.length; i++) if (b[i] === nodata) n++;
  }
  return n;
}

export function countFmaskNodata(fmask: readonly Uint8Array[]): number {
  const nodata = HLS.fmaskNodata;
  let n = 0;
  for (const f of fmask) for (let i = 0; i < f.length; i++) if (f[i] === nodata) n++;
  return n;
}

/** Negative reflectance (nodata included) becomes 0, as in the original. Call after counting nodata. */
export function clipNegativesInPlace(bands: readonly Int16Array[]): void {
  for (const b of bands) {
    const { words, rest } = pairsOf(b);
    for (let k = 0; k < words.length; k++) {
      const w = words[k]!;
      if ((w & SIGNS) === 0) continue;
      // Clear each half whose sign bit is set.
      words[k] = w & ((w & 0x8000 ? 0 : 0xffff) | (w & 0x80000000 ? 0 : 0xffff0000));
    }
    for (let i = rest; i < b.length; i++) if (b[i]! < 0) b[i] = 0;
  }
}

/**
 * QA figures of a chip: `fmask` is one array per date (3), `bands` the 18 reflectance arrays, date-major.
 * Does not modify its inputs.
 */
export function chipQaFigures(fmask: readonly Uint8Array[], bands: readonly Int16Array[], unmappedCdlPixels = 0): QaFigures {
  if (fmask.length !== SCENES_PER_TILE) throw new Error(`expected ${SCENES_PER_TILE} Fmask dates, got ${fmask.length}`);
  const dates = fmask.map(fmaskDateQa);
  return {
    validCounts: dates.map((d) => d.validCount),
    badPercents: dates.map((d) => d.badPercent),
    nodataCount: countReflectanceNodata(bands) + countFmaskNodata(fmask),
    unmappedCdlPixels,
  };
}

export type QaRejectReason = 'no-valid-fmask' | 'qa' | 'nodata';
export type QaDecision =
  | { accepted: true; badPctMax: number }
  | { accepted: false; reason: QaRejectReason; detail: string; badPctMax: number };

const DATE_NAMES = ['first', 'second', 'third'];

/**
 * The qa-filter rule: every date has valid Fmask pixels, the worst single invalid value covers less than
 * QA_RULES.maxBadPercent percent in every date, and no nodata. The reason is the first rule broken (in that
 * order); the detail names every rule broken.
 */
export function decideQa(qa: QaFigures): QaDecision {
  const badPctMax = Math.max(...qa.badPercents);
  const problems: { reason: QaRejectReason; text: string }[] = [];
  qa.validCounts.forEach((c, i) => {
    if (c <= 0) problems.push({ reason: 'no-valid-fmask', text: `${DATE_NAMES[i] ?? i} date has no valid Fmask pixel` });
  });
  qa.badPercents.forEach((p, i) => {
    if (!(p < QA_RULES.maxBadPercent)) {
      problems.push({ reason: 'qa', text: `${DATE_NAMES[i] ?? i} date: one invalid Fmask value covers ${p.toFixed(3)} % (limit < ${QA_RULES.maxBadPercent} %)` });
    }
  });
  if (qa.nodataCount > QA_RULES.maxNodataPixels) problems.push({ reason: 'nodata', text: `${qa.nodataCount} nodata values` });
  const first = problems[0];
  if (!first) return { accepted: true, badPctMax };
  return { accepted: false, reason: first.reason, detail: problems.map((p) => p.text).join('; '), badPctMax };
}
