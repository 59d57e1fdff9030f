// The colour table of the sample world's CDL raster. The national CDL GeoTIFF carries a 256-entry
// palette; no real CDL raster is among the fixtures, so this is a documented palette: the NASS CDL
// legend colours (RGB 0..255) for the codes the world writes and the commonest CONUS classes, and
// 0 / unlisted codes as NASS shows background: black.

/** CDL code -> [r, g, b], after the USDA NASS CDL legend. */
export const CDL_COLORS: Readonly<Record<number, readonly [number, number, number]>> = {
  1: [255, 211, 0], // Corn
  2: [255, 38, 38], // Cotton
  3: [0, 168, 228], // Rice
  4: [255, 158, 11], // Sorghum
  5: [38, 112, 0], // Soybeans
  6: [255, 255, 0], // Sunflower
  21: [226, 0, 124], // Barley
  22: [137, 98, 84], // Durum Wheat
  23: [216, 181, 107], // Spring Wheat
  24: [165, 112, 0], // Winter Wheat
  26: [112, 112, 0], // Dbl Crop WinWht/Soybeans
  27: [172, 0, 124], // Rye
  28: [160, 89, 137], // Oats
  36: [255, 168, 227], // Alfalfa
  37: [165, 242, 140], // Other Hay/Non Alfalfa
  61: [191, 191, 122], // Fallow/Idle Cropland
  111: [72, 112, 163], // Open Water
  121: [153, 153, 153], // Developed/Open Space
  122: [153, 153, 153], // Developed/Low Intensity
  123: [153, 153, 153], // Developed/Med Intensity
  124: [153, 153, 153], // Developed/High Intensity
  131: [204, 191, 163], // Barren
  141: [147, 204, 147], // Deciduous Forest
  142: [147, 204, 147], // Evergreen Forest
  143: [147, 204, 147], // Mixed Forest
  152: [198, 214, 158], // Shrubland
  176: [232, 255, 191], // Grassland/Pasture
  190: [126, 175, 175], // Woody Wetlands
  195: [126, 175, 175], // Herbaceous Wetlands
};

/** The 256-entry palette of a CDL GeoTIFF (index = CDL code). */
export function cdlPalette(): [number, number, number][] {
  return Array.from({ length: 256 }, (_, code) => {
    const c = CDL_COLORS[code];
    return c ? [c[0], c[1], c[2]] : [0, 0, 0];
  });
}
