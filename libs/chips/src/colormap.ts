// One distinct colour per class 0..13 of the reclassified CDL mask (written as the mask's GeoTIFF colour map).
import { CLASS_COUNT } from '@hls/contracts';

/** RGB 0..255 per class, index = class value. Crop-ish hues; class 0 (no data) is black. */
export const CLASS_COLORS: readonly (readonly [number, number, number])[] = [
  [0, 0, 0], // No Data
  [165, 204, 140], // Natural Vegetation
  [38, 115, 0], // Forest
  [255, 211, 0], // Corn
  [38, 112, 168], // Soybeans
  [128, 179, 179], // Wetlands
  [156, 156, 156], // Developed/Barren
  [0, 160, 255], // Open Water
  [168, 112, 0], // Winter Wheat
  [255, 168, 227], // Alfalfa
  [191, 191, 122], // Fallow/Idle Cropland
  [255, 38, 38], // Cotton
  [255, 158, 10], // Sorghum
  [112, 38, 168], // Other
];
if (CLASS_COLORS.length !== CLASS_COUNT) throw new Error(`CLASS_COLORS has ${CLASS_COLORS.length} entries, CLASS_NAMES ${CLASS_COUNT}`);

/** A 256-entry palette (UInt8 raster): the class colours, then black. */
export function classPalette(): [number, number, number][] {
  const p: [number, number, number][] = [];
  for (let i = 0; i < 256; i++) {
    const c = CLASS_COLORS[i];
    p.push(c ? [c[0], c[1], c[2]] : [0, 0, 0]);
  }
  return p;
}
