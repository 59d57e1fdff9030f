import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CLASS_COUNT } from '@hls/contracts';
import { CLASS_COLORS, classPalette } from './colormap.ts';
import { parseCsv } from '@hls/common';
import { loadReclassTable, parseReclassTable, reclassCdl } from './reclass.ts';
import { REAL_FIXTURES } from '@hls/common';

const REAL = `${REAL_FIXTURES}/chips/cdl_total_dst.csv`;
const realRows = () => {
  const rows = parseCsv(readFileSync(REAL, 'utf8'));
  const h = rows[0]!;
  return rows.slice(1).filter((r) => r.length > 1).map((r) => [Number(r[h.indexOf('old_class_value')]), Number(r[h.indexOf('new_class_value')])] as const);
};

describe('CDL reclass with the real table', () => {
  it('maps every code of the table as the table says; 0 and absent codes become 0 and are counted', async () => {
    const table = await loadReclassTable(REAL);
    const pairs = realRows();
    assert.ok(pairs.length > 50);
    const cdl = [...pairs.map(([o]) => o), 0, 0];
    const absent = Array.from({ length: 256 }, (_, i) => i).find((v) => v !== 0 && !pairs.some(([o]) => o === v));
    assert.notEqual(absent, undefined);
    cdl.push(absent!);
    const { mask, unmapped } = reclassCdl(Uint8Array.from(cdl), table);
    pairs.forEach(([, n], i) => assert.equal(mask[i], n));
    assert.equal(unmapped, 3);
    assert.deepEqual([...mask.slice(-3)], [0, 0, 0]);
    // Known rows of the real table: 1 Corn -> 3, 5 Soybeans -> 4, 152 Shrubland -> 1.
    assert.deepEqual([...reclassCdl([1, 5, 152], table).mask], [3, 4, 1]);
  });

  it('names the line of a bad table', () => {
    assert.throws(() => parseReclassTable('old_class_value,new_class_value\n1,3\n2,14\n', 't.csv'), /t\.csv line 3: new_class_value '14'/);
    assert.throws(() => parseReclassTable('a,b\n1,2\n', 't.csv'), /old_class_value and new_class_value/);
  });
});

describe('class colour map', () => {
  it('has one distinct colour per class', () => {
    assert.equal(CLASS_COLORS.length, CLASS_COUNT);
    assert.equal(new Set(CLASS_COLORS.map((c) => c.join(','))).size, CLASS_COUNT);
    const p = classPalette();
    assert.equal(p.length, 256);
    assert.deepEqual(p[3], [...CLASS_COLORS[3]!]);
  });
});
