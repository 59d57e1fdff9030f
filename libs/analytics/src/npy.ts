// A .npy file (format 1.0) written as a stream: values are appended chunk by chunk and the header, whose
// size is fixed, is rewritten with the final length at the end. numpy.load reads it.
import { open, type FileHandle } from 'node:fs/promises';

const HEADER_BYTES = 128;

function header(descr: string, length: number): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${length},), }`;
  const pre = 10; // magic (6) + version (2) + header length (2)
  const pad = HEADER_BYTES - pre - dict.length - 1;
  if (pad < 0) throw new Error('npy header too long');
  const buf = Buffer.alloc(HEADER_BYTES);
  buf.write('\x93NUMPY', 0, 'latin1');
  buf[6] = 1;
  buf[7] = 0;
  buf.writeUInt16LE(HEADER_BYTES - pre, 8);
  buf.write(dict + ' '.repeat(pad) + '\n', pre, 'latin1');
  return buf;
}

/** Appends Int16 values ('<i2') to a 1-D .npy file. */
export class NpyInt16Writer {
  private fh: FileHandle | null = null;
  private length = 0;
  private readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  async open(): Promise<void> {
    this.fh = await open(this.path, 'w');
    await this.fh.write(header('<i2', 0), 0, HEADER_BYTES, 0);
  }

  /** Appends the arrays' values in order, with one write. */
  async append(...arrays: Int16Array[]): Promise<void> {
    if (!this.fh) throw new Error(`${this.path}: not open`);
    // Little-endian hosts (x86, arm64) hold Int16Array in '<i2' order already.
    const chunks = arrays.map((values) => new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    const at = HEADER_BYTES + this.length * 2;
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    const { bytesWritten } = await this.fh.writev(chunks, at);
    if (bytesWritten !== bytes) throw new Error(`${this.path}: wrote ${bytesWritten} of ${bytes} bytes`);
    for (const values of arrays) this.length += values.length;
  }

  async close(): Promise<number> {
    if (!this.fh) throw new Error(`${this.path}: not open`);
    await this.fh.write(header('<i2', this.length), 0, HEADER_BYTES, 0);
    await this.fh.close();
    this.fh = null;
    return this.length;
  }
}
