// The flow definition: every subject has a publisher, every consumed subject a consumer, and the README's
// diagram and table are the generated ones.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FLOW, SERVICES, SERVICE_SUBJECTS, STATE_MARKED_BY, SUBJECTS, flowReadmeBlock, stageOf } from './index.ts';

test('every subject is published by a step (or the submitter) and every service consumes something', () => {
  const published = new Set([SUBJECTS.runRequested, ...FLOW.flatMap((f) => f.publishes)]);
  assert.deepEqual(Object.values(SUBJECTS).filter((s) => !published.has(s)), []);
  for (const s of SERVICES) assert.ok(SERVICE_SUBJECTS[s].length > 0, s);
  assert.equal(stageOf(SUBJECTS.chipFailed), 'qa');
  assert.equal(stageOf(SUBJECTS.bandReprojected), 'reproject');
  assert.equal(STATE_MARKED_BY[SUBJECTS.bandReprojected], undefined, 'one band does not make a tile reprojected');
});

test("the README's flow section is the generated one (node tools/flow-readme.ts)", () => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', '..', 'README.md'), 'utf8');
  assert.ok(readme.includes(flowReadmeBlock()), 'README.md flow section is stale: run node tools/flow-readme.ts');
});

test('naming rule: events in the past tense, the one command under hls.cmd.', () => {
  // Past participles: regular (-ed) and the one irregular verb in use.
  for (const s of Object.values(SUBJECTS)) assert.match(s, /^hls\.(cmd\.[a-z]+\.[a-z]+|[a-z]+\.([a-z]+ed|built))$/, s);
});
