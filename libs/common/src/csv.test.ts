import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvField, csvLine, parseCsv } from './csv.ts';

test('parseCsv reads quoted cells holding commas, quotes, JSON arrays and newlines; CRLF or LF', () => {
  const rows = parseCsv('a,b,c\n"x,1","say ""hi""","[""u1"",""u2""]"\r\nlast,,\n"two\nlines",q,\n');
  assert.deepEqual(rows, [
    ['a', 'b', 'c'],
    ['x,1', 'say "hi"', '["u1","u2"]'],
    ['last', '', ''],
    ['two\nlines', 'q', ''],
  ]);
});

test('parseCsv skips blank lines and reads a last line without a line end', () => {
  assert.deepEqual(parseCsv('ids\n\n001_002\r\n\r\n003_004'), [['ids'], ['001_002'], ['003_004']]);
  assert.deepEqual(parseCsv(''), []);
});

test('csvField quotes only what needs it, and parseCsv reads back what csvLine writes', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField(1.5), '1.5');
  assert.equal(csvField('a,b'), '"a,b"');
  const cells = ['["s3://x/a.tif","s3://x/b.tif"]', 'say "hi"', 'cr\r\nlf', '', 42];
  assert.deepEqual(parseCsv(`${csvLine(['h1', 'h2', 'h3', 'h4', 'h5'])}\n${csvLine(cells)}\n`), [['h1', 'h2', 'h3', 'h4', 'h5'], cells.map(String)]);
});
