// Parsers for numeric flags: a bad value stops the command in one line naming the flag
// ("option '--timeout <seconds>' argument 'abc' is invalid. must be a number > 0"), never a silent NaN.
import { InvalidArgumentError } from 'commander';

/** A whole number >= `min` (default 0). */
export const wholeNumber =
  (min = 0) =>
  (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number >= ${min}`);
    return n;
  };

/** A number > 0 (seconds, milliseconds). */
export function positiveNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a number > 0');
  return n;
}

/** A share strictly between 0 and 1. */
export function fraction(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('must be between 0 and 1');
  return n;
}

/** A TCP port, 0 meaning any free one. */
export function port(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0..65535');
  return n;
}
