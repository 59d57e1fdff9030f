// JSON text in the layout Python's json.dump(obj, f, indent=4) writes, so payloads we write are
// byte-compatible with the original pipeline's files (floats keep a ".0", exponents as Python prints them).

/** A number as Python's repr(float) prints it. */
export function pythonFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Object.is(n, -0)) return '-0.0';
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    // Python: shortest digits, exponent with at least two digits (1e-05, 1.5e+16).
    const [mant, exp] = n.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    const digits = exp.replace(/^[+-]/, '').padStart(2, '0');
    return `${mant}e${sign}${digits}`;
  }
  const s = String(n);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue };

/** Which numbers are written as Python ints (no ".0"): by default none (all floats). */
export interface PyJsonOptions {
  indent?: number;
  isInt?: (path: readonly (string | number)[]) => boolean;
}

function pyString(s: string): string {
  // Python's default ensure_ascii=True escapes every non-ASCII character.
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function pythonJson(value: JsonValue, opts: PyJsonOptions = {}): string {
  const step = ' '.repeat(opts.indent ?? 4);
  const isInt = opts.isInt ?? (() => false);
  const path: (string | number)[] = [];
  const out = (v: JsonValue, pad: string): string => {
    if (v === null) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'number') return isInt(path) && Number.isInteger(v) ? String(v) : pythonFloat(v);
    if (typeof v === 'string') return pyString(v);
    const inner = pad + step;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      const parts = v.map((x, i) => {
        path.push(i);
        const s = inner + out(x, inner);
        path.pop();
        return s;
      });
      return `[\n${parts.join(',\n')}\n${pad}]`;
    }
    const keys = Object.keys(v);
    if (keys.length === 0) return '{}';
    const parts = keys.map((k) => {
      path.push(k);
      const s = `${inner}${pyString(k)}: ${out(v[k] as JsonValue, inner)}`;
      path.pop();
      return s;
    });
    return `{\n${parts.join(',\n')}\n${pad}}`;
  };
  return out(value, '');
}
