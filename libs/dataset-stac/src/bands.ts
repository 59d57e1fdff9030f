// eo:bands and raster:bands of the chips, from the domain constants: merged chip date-major
// (B02_t1 ... B12_t3), Fmask one band per date, mask one band of classes.
import { CHIP, CLASS_NAMES, FMASK_BAND, HLS, REFLECTANCE_BANDS, SCENES_PER_TILE, type ReflectanceBand } from '@hls/contracts';
import { chipBandName } from '@hls/chips';

/** The STAC (eo) common name and centre wavelength (micrometres) of each HLS S30 reflectance band. */
export const EO_BAND_INFO: Readonly<Record<ReflectanceBand, { common_name: string; center_wavelength: number }>> = {
  B02: { common_name: 'blue', center_wavelength: 0.49 },
  B03: { common_name: 'green', center_wavelength: 0.56 },
  B04: { common_name: 'red', center_wavelength: 0.665 },
  B8A: { common_name: 'nir08', center_wavelength: 0.865 },
  B11: { common_name: 'swir16', center_wavelength: 1.61 },
  B12: { common_name: 'swir22', center_wavelength: 2.19 },
};

export interface EoBand {
  name: string;
  common_name?: string;
  center_wavelength?: number;
  description?: string;
}
export interface RasterBand {
  nodata?: number;
  data_type: 'int16' | 'uint8';
  scale?: number;
  offset?: number;
  spatial_resolution?: number;
  statistics?: { mean?: number; stddev?: number; minimum?: number; maximum?: number };
}

const dates = Array.from({ length: SCENES_PER_TILE }, (_, t) => t);

export function mergedEoBands(acquisitionDates: readonly string[]): EoBand[] {
  return dates.flatMap((t) => REFLECTANCE_BANDS.map((b) => ({ name: chipBandName(b, t), ...EO_BAND_INFO[b], description: `${b}, acquired ${acquisitionDates[t] ?? `date ${t + 1}`}` })));
}

const reflectance = (): RasterBand => ({ data_type: 'int16', nodata: HLS.reflectanceNodata, scale: HLS.reflectanceScale, offset: 0, spatial_resolution: HLS.pixelSize });

export const mergedRasterBands = (): RasterBand[] => dates.flatMap(() => REFLECTANCE_BANDS.map(reflectance));

export const fmaskEoBands = (acquisitionDates: readonly string[]): EoBand[] =>
  dates.map((t) => ({ name: chipBandName(FMASK_BAND, t), description: `HLS Fmask quality bits, acquired ${acquisitionDates[t] ?? `date ${t + 1}`}` }));
export const fmaskRasterBands = (): RasterBand[] => dates.map(() => ({ data_type: 'uint8', nodata: HLS.fmaskNodata, spatial_resolution: HLS.pixelSize }));

/** Class 0 is "no data". */
export const maskRasterBands = (): RasterBand[] => [{ data_type: 'uint8', nodata: 0, spatial_resolution: HLS.pixelSize }];

/** Class values and names, 0..13. */
export const classList = (): { value: number; name: string }[] => CLASS_NAMES.map((name, value) => ({ value, name }));

export const CHIP_SHAPE: [number, number] = [CHIP.pixels, CHIP.pixels];
