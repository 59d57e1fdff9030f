// Loading a CommonJS package with require() instead of import: importing one from an ES module first makes
// Node scan its whole source for export names (cjs-module-lexer), tens of milliseconds of every process's
// start for a large bundle such as proj4 (measured 26-51 ms against 7-12 ms by require).
import { createRequire } from 'node:module';

/** The package `specifier` as require() gives it, resolved from `from` (the caller's `import.meta.url`). */
export function requireCommonJs<T>(specifier: string, from: string): T {
  return createRequire(from)(specifier) as T;
}
