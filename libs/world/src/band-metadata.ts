// The GDAL metadata of a sample-world HLS band file, shaped like LP DAAC's HLS S30 v2.0 COGs: per band
// `long_name`, `scale_factor`, `add_offset`, `_FillValue` items, the band description and GDAL
// scale/offset; dataset items with the scene's cloud and spatial coverage and sensing time.
import { FMASK_BAND, HLS, HLS_BAND_LONG_NAMES, type Band } from '@hls/contracts';
import type { GdalMetadata } from '@hls/raster';
import type { PlannedGranule, PlannedTile } from './plan.ts';

/** `2022-06-01T17:08:51Z` from `HLS.S30.T15TVG.2022152T170851.v2.0` and its date. */
function sensingTime(g: PlannedGranule): string {
  const hhmmss = /\.\d{7}T(\d{2})(\d{2})(\d{2})\./.exec(g.granuleId);
  if (!hhmmss) throw new Error(`world: granule id ${g.granuleId} has no acquisition time`);
  return `${g.date}T${hhmmss[1]}:${hhmmss[2]}:${hhmmss[3]}Z`;
}

export function hlsBandMetadata(band: Band, tile: PlannedTile, g: PlannedGranule): GdalMetadata {
  const longName = HLS_BAND_LONG_NAMES[band];
  const items = {
    cloud_coverage: String(Math.round(g.cloudCover)),
    spatial_coverage: String(Math.round(g.spatialCoverage)),
    SENSING_TIME: sensingTime(g),
    SPATIAL_RESOLUTION: String(HLS.pixelSize),
    NCOLS: String(tile.raster.width),
    NROWS: String(tile.raster.height),
    ULX: String(tile.raster.x0),
    ULY: String(tile.raster.y0),
  };
  if (band === FMASK_BAND) {
    return { items, bands: [{ description: longName, items: { _FillValue: String(HLS.fmaskNodata), long_name: longName } }] };
  }
  return {
    items,
    bands: [
      {
        description: longName,
        scale: HLS.reflectanceScale,
        offset: 0,
        items: { _FillValue: String(HLS.reflectanceNodata), add_offset: '0', long_name: longName, scale_factor: String(HLS.reflectanceScale) },
      },
    ],
  };
}
