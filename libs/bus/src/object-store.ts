// Bytes by name in a JetStream Object Store bucket, each read checked against the SHA-256 its reference
// gives. put skips the upload when the stored object already has those bytes, so submitting a run again
// (same run id, same inputs) sends nothing.
import { createHash } from 'node:crypto';
import { HlsError } from '@hls/common';
import type { ObjectInfo, ObjectStore } from '@nats-io/obj';

/** What a reader needs to fetch and check an object. */
export interface ObjectRef {
  object: string;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
  bytes: number;
}

/** The object is not there, or its bytes are not the ones referenced: reading again cannot help. */
export class ObjectStoreError extends HlsError {
  constructor(message: string) {
    super('object-store', message, { retryable: false });
  }
}

export const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** The hex SHA-256 of an object as the server records it (`SHA-256=<base64url>`), or null for another algorithm. */
function infoSha256(info: ObjectInfo): string | null {
  const m = /^SHA-256=(.+)$/i.exec(info.digest);
  return m?.[1] ? Buffer.from(m[1], 'base64url').toString('hex') : null;
}

export interface ObjectBucket {
  readonly bucket: string;
  /** Store `data` under `name`; nothing is sent when the object there already has these bytes. */
  put(name: string, data: Uint8Array): Promise<{ ref: ObjectRef; uploaded: boolean }>;
  /** The bytes of a referenced object, checked against its size and SHA-256. */
  get(ref: ObjectRef): Promise<Uint8Array>;
  /** The stored object's reference, or null when there is none. */
  stat(name: string): Promise<ObjectRef | null>;
  /** Names of the stored objects, sorted. */
  names(): Promise<string[]>;
}

export function objectBucket(bucket: string, os: ObjectStore): ObjectBucket {
  const stat = async (name: string): Promise<ObjectRef | null> => {
    const info = await os.info(name);
    if (!info || info.deleted) return null;
    return { object: name, sha256: infoSha256(info) ?? '', bytes: info.size };
  };
  return {
    bucket,
    stat,
    async put(name, data) {
      const ref: ObjectRef = { object: name, sha256: sha256Hex(data), bytes: data.byteLength };
      const have = await stat(name);
      if (have && have.sha256 === ref.sha256 && have.bytes === ref.bytes) return { ref, uploaded: false };
      await os.putBlob({ name }, data);
      return { ref, uploaded: true };
    },
    async get(ref) {
      const where = `object ${ref.object} in bucket ${bucket}`;
      const data = await os.getBlob(ref.object);
      if (!data) throw new ObjectStoreError(`${where}: no such object`);
      const got = sha256Hex(data);
      if (data.byteLength !== ref.bytes || got !== ref.sha256) {
        throw new ObjectStoreError(`${where}: holds ${data.byteLength} bytes with SHA-256 ${got}, not the ${ref.bytes} bytes with SHA-256 ${ref.sha256} referenced`);
      }
      return data;
    },
    async names() {
      return (await os.list())
        .filter((i) => !i.deleted)
        .map((i) => i.name)
        .sort();
    },
  };
}
