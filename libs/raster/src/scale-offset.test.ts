import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseScaleOffset } from './index.ts';

test('GDAL per-band SCALE/OFFSET roles win over HLS dataset-wide scale_factor/add_offset', () => {
  const hls = '<GDALMetadata><Item name="scale_factor">0.0001</Item><Item name="add_offset">0</Item><Item name="_FillValue">-9999</Item></GDALMetadata>';
  assert.deepEqual(parseScaleOffset(hls, 2), { scale: [0.0001, 0.0001], offset: [0, 0] });
  const gdal =
    '<GDALMetadata><Item name="scale_factor">0.0001</Item><Item name="SCALE" sample="1" role="scale">0.5</Item>' +
    '<Item name="OFFSET" sample="1" role="offset">-3</Item></GDALMetadata>';
  assert.deepEqual(parseScaleOffset(gdal, 2), { scale: [0.0001, 0.5], offset: [null, -3] });
  assert.deepEqual(parseScaleOffset(undefined, 1), { scale: [null], offset: [null] });
});
