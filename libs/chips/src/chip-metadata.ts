// What training code reads from a chip besides its pixels, written as GDAL metadata: band
// descriptions (`B02_t1` ... `B12_t3`, `Fmask_t1` ...), the reflectance scale and offset on every
// merged band, and the acquisition dates (dataset item `ACQUISITION_DATES`, per band `ACQUISITION_DATE`).
import { CLASS_NAMES, FMASK_BAND, HLS, REFLECTANCE_BANDS } from '@hls/contracts';
import type { GdalMetadata } from '@hls/raster';
import type { SceneRef } from './clip.ts';

/** Dataset item: the chip's three acquisition dates, comma-separated ISO dates in band order. */
export const ACQUISITION_DATES = 'ACQUISITION_DATES';
/** Band item: the acquisition date of the band. */
export const ACQUISITION_DATE = 'ACQUISITION_DATE';
/** Dataset item: the HLS granules of the three dates, comma-separated, in band order. */
export const HLS_GRANULES = 'HLS_GRANULES';

/** `B02_t1`: a band's name and its date's rank (1-based) in the chip. */
export const chipBandName = (band: string, dateIndex: number): string => `${band}_t${dateIndex + 1}`;

function datasetItems(scenes: readonly SceneRef[]): Record<string, string> {
  return { [ACQUISITION_DATES]: scenes.map((s) => s.date).join(','), [HLS_GRANULES]: scenes.map((s) => s.granuleId).join(',') };
}

/** The merged chip's metadata; `scenes` in date order (the order of the bands). */
export function mergedChipMetadata(scenes: readonly SceneRef[]): GdalMetadata {
  return {
    items: datasetItems(scenes),
    bands: scenes.flatMap((s, t) =>
      REFLECTANCE_BANDS.map((band) => ({ description: chipBandName(band, t), scale: HLS.reflectanceScale, offset: 0, items: { [ACQUISITION_DATE]: s.date } })),
    ),
  };
}

/** The Fmask chip's metadata: one band per date. */
export function fmaskChipMetadata(scenes: readonly SceneRef[]): GdalMetadata {
  return {
    items: datasetItems(scenes),
    bands: scenes.map((s, t) => ({ description: chipBandName(FMASK_BAND, t), items: { [ACQUISITION_DATE]: s.date } })),
  };
}

/** Band item of the label mask: the name of class `value` (`CLASS_3=Corn`). */
export const classNameItem = (value: number): string => `CLASS_${value}`;
/** The label mask's band description. */
export const MASK_BAND_DESCRIPTION = 'crop_class';

/** The label mask's metadata: what each class value means (GDAL keeps no category names inside a GeoTIFF). */
export function maskChipMetadata(): GdalMetadata {
  return { bands: [{ description: MASK_BAND_DESCRIPTION, items: Object.fromEntries(CLASS_NAMES.map((name, v) => [classNameItem(v), name])) }] };
}
