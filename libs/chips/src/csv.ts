// Python-compatible number formatting for the CSV files the original pipeline wrote (CSV itself: @hls/common).

/** A float as Python's repr writes it (pandas to_csv, print): `5.0`, `0.1`, `1e-05`. */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    // Python's repr goes to exponent form outside [1e-4, 1e16) and pads the exponent to 2 digits.
    return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  if (Number.isInteger(x)) return `${x === 0 && 1 / x < 0 ? '-0' : x}.0`;
  return String(x);
}
