// The lib boundaries in eslint.config.js fire: each case is linted as if it were a file at that path.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const root = join(import.meta.dirname, '..', '..', '..');
const eslint = new ESLint({ cwd: root });

/** The no-restricted-imports messages for one import line in a file at `path`. */
async function restricted(path: string, from: string): Promise<string[]> {
  const [r] = await eslint.lintText(`import { x } from '${from}';\nexport const y = x;\n`, { filePath: join(root, path) });
  assert.ok(r, path);
  return r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const cases: Array<[path: string, from: string, rule: RegExp | undefined]> = [
  // Domain libs never import transport, tests included.
  ['libs/geo/src/x.ts', '@hls/bus', /Domain libs never import transport/],
  ['libs/stac/src/x.ts', '@hls/runtime', /Domain libs never import transport/],
  ['libs/world/src/x.ts', '@hls/pipeline', /Domain libs never import transport/],
  ['libs/chips/src/x.ts', '@nats-io/jetstream', /Domain libs never import NATS/],
  ['libs/contracts/src/x.test.ts', '@nats-io/transport-node', /Domain libs never import NATS/],
  ['libs/pipeline/src/x.ts', '@hls/bus', undefined],
  ['libs/local-stack/src/x.ts', '@nats-io/transport-node', undefined],
  // Production code never imports test scaffolding; tests and scaffolding may.
  ['libs/pipeline/src/x.ts', '@hls/testing', /never imports test scaffolding/],
  ['libs/pipeline/src/x.ts', '@hls/raster/testing', /never imports test scaffolding/],
  ['libs/web/src/x.ts', './testing/fixtures.ts', /never imports test scaffolding/],
  ['libs/ipfs/src/x.ts', '../test-support/fixtures.ts', /never imports test scaffolding/],
  ['libs/geo/src/x.ts', './test-helpers.ts', /never imports test scaffolding/],
  ['apps/cli/src/commands/x.ts', '@hls/testing', /never imports test scaffolding/],
  ['apps/chipper/src/x.ts', '@hls/runtime/testing', /never imports test scaffolding/],
  ['apps/cli/src/commands/x.test.ts', '@hls/testing', undefined],
  ['libs/web/src/testing/x.ts', '@hls/testing', undefined],
  ['libs/testing/src/x.ts', '@hls/local-stack/nats-server', undefined],
  // Libs never import apps.
  ['libs/pipeline/src/x.ts', '@hls/cli', /Libs never import apps/],
  ['libs/web/src/x.test.ts', '@hls/chip-index', /Libs never import apps/],
  ['libs/runtime/src/x.ts', '../../../apps/chipper/src/handler.ts', /Libs never import apps/],
  ['libs/deploy/src/x.ts', 'kubernetes-models/apps/v1/Deployment', undefined],
  ['apps/cli/src/x.ts', '@hls/chipper', undefined],
];

for (const [path, from, rule] of cases)
  test(`${path}: import '${from}' ${rule ? 'is refused' : 'is allowed'}`, { timeout: 60_000 }, async () => {
    const got = await restricted(path, from);
    if (!rule) assert.deepEqual(got, []);
    else assert.ok(got.length === 1 && rule.test(got[0] as string), got.join('\n') || 'no error');
  });
