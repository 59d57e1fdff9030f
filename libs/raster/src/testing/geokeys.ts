// The raw GeoKey tags of a GeoTIFF (directory, doubles, ASCII), to compare files key for key.
import { fromFile } from 'geotiff';

export interface RawGeoKeys {
  directory: number[];
  doubles: number[];
  ascii: string;
}

export async function rawGeoKeys(path: string): Promise<RawGeoKeys> {
  const tiff = await fromFile(path);
  try {
    const fd = (await tiff.getImage(0)).getFileDirectory();
    const arr = async (tag: 'GeoKeyDirectory' | 'GeoDoubleParams') => Array.from(((await fd.loadValue(tag)) as ArrayLike<number> | undefined) ?? []);
    return {
      directory: await arr('GeoKeyDirectory'),
      doubles: await arr('GeoDoubleParams'),
      ascii: String((await fd.loadValue('GeoAsciiParams')) ?? ''),
    };
  } finally {
    tiff.close();
  }
}
