// One lint config for the whole workspace (flat config, typescript-eslint).
import { readdirSync } from 'node:fs';
import tseslint from 'typescript-eslint';

// Lib boundaries (checked by no-restricted-imports; libs/testing/src/import-boundaries.test.ts shows they fire).
// Domain libs compute; they never reach the transport (NATS, the bus, the service runtime, the pipeline).
const DOMAIN_LIBS = ['geo', 'raster', 'ipfs', 'chips', 'analytics', 'stac', 'bands', 'world', 'common', 'contracts', 'config'];
const APPS = readdirSync(new URL('./apps', import.meta.url), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);
// Test scaffolding and the tests themselves: the only files that may import test helpers.
const TEST_FILES = ['**/*.test.ts', '**/testing/**', '**/testing.ts', '**/test-support/**', '**/test-helpers.ts', 'libs/testing/**'];

const NO_TRANSPORT = [
  { regex: '^@hls/(bus|runtime|pipeline)(/|$)', message: 'Domain libs never import transport (@hls/bus, @hls/runtime, @hls/pipeline): apps and the runtime wire them.' },
  { regex: '^@nats-io/', message: 'Domain libs never import NATS (@nats-io/*): apps and the runtime wire them.' },
];
const NO_TEST_HELPERS = [
  {
    regex: '(^|/)(testing|test-support|test-helpers)(/|\\.ts$|$)',
    message: 'Production code never imports test scaffolding (@hls/testing, */testing, test-support/, test-helpers): move what it needs into a product library.',
  },
];
const NO_APPS = [
  { regex: `^@hls/(${APPS.join('|')})(/|$)`, message: 'Libs never import apps: move the shared code into a lib.' },
  { regex: '^\\.\\.?/(.*/)?apps/', message: 'Libs never import apps: move the shared code into a lib.' },
];
// A later config replaces an earlier one's options for the same rule, so each group lists all its patterns.
const restrict = (...groups) => ({ 'no-restricted-imports': ['error', { patterns: groups.flat() }] });
const LIBS = ['libs/*/src/**/*.ts'];
const DOMAIN = DOMAIN_LIBS.map((l) => `libs/${l}/src/**/*.ts`);

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.nx/**', 'data/**', 'bench/out/**', 'apps/cli/web/vendor/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  { files: LIBS, rules: restrict(NO_APPS) },
  { files: DOMAIN, rules: restrict(NO_APPS, NO_TRANSPORT) },
  { files: ['apps/*/src/**/*.ts'], ignores: TEST_FILES, rules: restrict(NO_TEST_HELPERS) },
  { files: LIBS, ignores: TEST_FILES, rules: restrict(NO_APPS, NO_TEST_HELPERS) },
  { files: DOMAIN, ignores: TEST_FILES, rules: restrict(NO_APPS, NO_TRANSPORT, NO_TEST_HELPERS) },
);
