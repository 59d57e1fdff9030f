// Exact statistics of Int16 values in bounded memory: a 65,536-bin histogram holds every value, so
// percentiles are exact (numpy's 'linear' method) whatever the dataset size, and mean/std need no value list.

const OFFSET = 32768;

export class Int16Histogram {
  /** Float64 counts: exact up to 2^53 values. */
  readonly #counts = new Float64Array(65536);
  /**
   * Counts not yet in #counts. Incrementing a Uint32 is about 3x faster than a Float64 where runs of one value
   * make each increment wait for the last (flat fields, nodata); they are moved before they could overflow.
   */
  readonly #pending = new Uint32Array(65536);
  #pendingN = 0;
  n = 0;

  /** Every value counted so far, by value + 32768. */
  get counts(): Float64Array {
    if (this.#pendingN > 0) this.#flush();
    return this.#counts;
  }

  #flush(): void {
    const c = this.#counts;
    const p = this.#pending;
    for (let i = 0; i < 65536; i++) {
      if (p[i]) {
        c[i]! += p[i]!;
        p[i] = 0;
      }
    }
    this.#pendingN = 0;
  }

  add(values: ArrayLike<number>, source = 'values'): void {
    // A bin of #pending holds at most #pendingN counts.
    if (this.#pendingN + values.length > 0xffffffff) this.#flush();
    if (values.length > 0xffffffff) throw new Error(`${source}: ${values.length} values in one call; at most 2^32 - 1`);
    // Counted as pending before the loop: a value that fails the check below leaves the bound conservative.
    this.#pendingN += values.length;
    const counts = this.#pending;
    if (values instanceof Int16Array) {
      // Every Int16Array value is an Int16: nothing to check.
      for (let i = 0; i < values.length; i++) counts[values[i]! + OFFSET]!++;
    } else {
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (!Number.isInteger(v) || v < -32768 || v > 32767) throw new Error(`${source}: value ${v} at index ${i} is not an Int16`);
        counts[v + OFFSET]!++;
      }
    }
    this.n += values.length;
  }

  /** Exact while |sum| < 2^53: the same as numpy's float64 sum of integer values. */
  sum(): number {
    let s = 0;
    const c = this.counts;
    for (let i = 0; i < 65536; i++) if (c[i]) s += c[i]! * (i - OFFSET);
    return s;
  }

  mean(): number {
    if (this.n === 0) return Number.NaN;
    return this.sum() / this.n;
  }

  /** Population standard deviation (numpy's default ddof=0). */
  std(): number {
    if (this.n === 0) return Number.NaN;
    const m = this.mean();
    let s = 0;
    const c = this.counts;
    for (let i = 0; i < 65536; i++) {
      if (c[i]) {
        const d = i - OFFSET - m;
        s += c[i]! * d * d;
      }
    }
    return Math.sqrt(s / this.n);
  }

  /** The k-th smallest value (0-based). */
  orderStatistic(k: number): number {
    if (k < 0 || k >= this.n) throw new Error(`order statistic ${k} out of 0..${this.n - 1}`);
    let seen = 0;
    const c = this.counts;
    for (let i = 0; i < 65536; i++) {
      seen += c[i]!;
      if (seen > k) return i - OFFSET;
    }
    throw new Error('histogram counts do not add up');
  }

  /** np.percentile(values, p) with the default 'linear' method, including numpy's lerp rounding. */
  percentile(p: number): number {
    if (this.n === 0) return Number.NaN;
    const q = p / 100;
    const virtual = (this.n - 1) * q;
    const lo = Math.floor(virtual);
    const gamma = virtual - lo;
    const a = this.orderStatistic(lo);
    const b = this.orderStatistic(Math.min(lo + 1, this.n - 1));
    // numpy _lerp: a + (b - a) * t, or b - (b - a) * (1 - t) when t >= 0.5.
    const diff = b - a;
    return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
  }

  min(): number {
    return this.orderStatistic(0);
  }

  max(): number {
    return this.orderStatistic(this.n - 1);
  }
}
