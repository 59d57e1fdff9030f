// Quick-look PNGs of a chip, to see it without GIS tools: true colour (B04 B03 B02) of each date and the
// label mask in the class colours, 224 x 224 each, in chips_quicklook/. PNG written here (zlib + CRC-32,
// RGB 8-bit, no filter): a few lines, no image dependency.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { HLS, REFLECTANCE_BANDS, quicklookPath } from '@hls/contracts';
import { deflateBlock } from '@hls/raster';
import { CLASS_COLORS } from './colormap.ts';

/** Reflectance DN shown as full white: 0.3 reflectance, bright enough for fields and soil. */
export const QUICKLOOK_WHITE_DN = 3000;

/** The chip's quick-looks, relative to the dataset dir: one per date, then the mask. */
export function quicklookPaths(chipId: string): { dates: string[]; mask: string } {
  return {
    dates: (['t1', 't2', 't3'] as const).map((v) => quicklookPath(chipId, v)),
    mask: quicklookPath(chipId, 'mask'),
  };
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit RGB PNG of `rgb` (width * height * 3 bytes, row-major). */
export async function encodePngRgb(width: number, height: number, rgb: Uint8Array): Promise<Buffer> {
  if (rgb.length !== width * height * 3) throw new Error(`PNG: ${rgb.length} bytes for ${width} x ${height} RGB`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter, no interlace
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', await deflateBlock(raw, {})), chunk('IEND', Buffer.alloc(0))]);
}

const toByte = (dn: number) => (dn === HLS.reflectanceNodata || dn <= 0 ? 0 : dn >= QUICKLOOK_WHITE_DN ? 255 : Math.round((dn * 255) / QUICKLOOK_WHITE_DN));

/** toByte of every Int16 value, index value + 32768: a lookup per pixel instead of a division. */
let BYTE_OF_INT16: Uint8Array | undefined;
function byteOfInt16(): Uint8Array {
  if (!BYTE_OF_INT16) {
    BYTE_OF_INT16 = new Uint8Array(65536);
    for (let v = -32768; v <= 32767; v++) BYTE_OF_INT16[v + 32768] = toByte(v);
  }
  return BYTE_OF_INT16;
}

/** True colour of date `t` from the merged chip's bands (date-major B02 B03 B04 B8A B11 B12). */
export function trueColour(bands: readonly ArrayLike<number>[], t: number): Uint8Array {
  const at = (b: string) => bands[t * REFLECTANCE_BANDS.length + REFLECTANCE_BANDS.indexOf(b as (typeof REFLECTANCE_BANDS)[number])]!;
  const [r, g, b] = [at('B04'), at('B03'), at('B02')];
  const out = new Uint8Array(r.length * 3);
  if (r instanceof Int16Array && g instanceof Int16Array && b instanceof Int16Array) {
    const lut = byteOfInt16();
    for (let i = 0, o = 0; i < r.length; i++, o += 3) {
      out[o] = lut[r[i]! + 32768]!;
      out[o + 1] = lut[g[i]! + 32768]!;
      out[o + 2] = lut[b[i]! + 32768]!;
    }
    return out;
  }
  for (let i = 0; i < r.length; i++) {
    out[i * 3] = toByte(r[i]!);
    out[i * 3 + 1] = toByte(g[i]!);
    out[i * 3 + 2] = toByte(b[i]!);
  }
  return out;
}

/** The class colours as one flat RGB table of 256 entries (black past the classes). */
const FLAT_COLOURS = new Uint8Array(256 * 3);
CLASS_COLORS.forEach((c, k) => FLAT_COLOURS.set(c, k * 3));

/** The mask in the class colours of its colour map. */
export function maskColours(mask: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(mask.length * 3);
  for (let i = 0, o = 0; i < mask.length; i++, o += 3) {
    const v = mask[i]!;
    const c = v >= 0 && v < 256 ? v * 3 : 0;
    out[o] = FLAT_COLOURS[c]!;
    out[o + 1] = FLAT_COLOURS[c + 1]!;
    out[o + 2] = FLAT_COLOURS[c + 2]!;
  }
  return out;
}

async function writeAtomic(path: string, data: Buffer): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Write the chip's quick-looks; returns their paths relative to the dataset dir. */
export async function writeQuicklooks(datasetDir: string, chipId: string, size: number, bands: readonly ArrayLike<number>[], mask: ArrayLike<number>): Promise<string[]> {
  const p = quicklookPaths(chipId);
  const write = async (rel: string, rgb: Uint8Array) => writeAtomic(join(datasetDir, rel), await encodePngRgb(size, size, rgb));
  await Promise.all([...p.dates.map((rel, t) => write(rel, trueColour(bands, t))), write(p.mask, maskColours(mask))]);
  return [...p.dates, p.mask];
}
