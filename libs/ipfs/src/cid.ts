// CID parsing and block verification: the hash of the bytes must equal the CID's multihash digest, and
// the codec must be one UnixFS retrieval understands (raw or dag-pb).
import { createHash } from 'node:crypto';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import * as Digest from 'multiformats/hashes/digest';
import * as dagPb from '@ipld/dag-pb';
import { BlockVerificationError, type FetchContext } from './errors.ts';

export const CODEC_RAW = raw.code; // 0x55
export const CODEC_DAG_PB = dagPb.code; // 0x70
const MH_IDENTITY = 0x00;
const MH_SHA2_256 = 0x12;
const MH_SHA2_512 = 0x13;

/** Parse a CID string (v0 `Qm...` or v1 multibase); throws naming the input. Accepts `/ipfs/<cid>` and `ipfs://<cid>`. */
export function parseCid(input: string): CID {
  const s = input.trim().replace(/^ipfs:\/\//, '').replace(/^\/ipfs\//, '').split(/[/?#]/)[0] ?? '';
  try {
    return CID.parse(s);
  } catch (e) {
    throw new Error(`not a CID: '${input}' (${(e as Error).message})`);
  }
}

function digestOf(code: number, bytes: Uint8Array): Uint8Array | undefined {
  if (code === MH_SHA2_256) return createHash('sha256').update(bytes).digest();
  if (code === MH_SHA2_512) return createHash('sha512').update(bytes).digest();
  if (code === MH_IDENTITY) return bytes;
  return undefined;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** True when `bytes` hash to the digest in `cid` (no codec check). */
export function hashMatches(cid: CID, bytes: Uint8Array): boolean {
  const d = digestOf(cid.multihash.code, bytes);
  return d !== undefined && equalBytes(d, cid.multihash.digest);
}

/**
 * Throw BlockVerificationError unless `bytes` are the block `cid` names: supported hash, matching digest,
 * and for dag-pb bytes that decode as dag-pb.
 */
export function verifyBlock(cid: CID, bytes: Uint8Array, opts: { root?: string; context?: FetchContext; source?: string } = {}): void {
  const id = cid.toString();
  if (cid.code !== CODEC_RAW && cid.code !== CODEC_DAG_PB) {
    throw new BlockVerificationError(id, `unsupported codec 0x${cid.code.toString(16)} (expected raw or dag-pb)`, opts);
  }
  const d = digestOf(cid.multihash.code, bytes);
  if (d === undefined) throw new BlockVerificationError(id, `unsupported multihash 0x${cid.multihash.code.toString(16)}`, opts);
  if (!equalBytes(d, cid.multihash.digest)) {
    throw new BlockVerificationError(id, `the ${bytes.length} bytes received hash to a different digest`, opts);
  }
  if (cid.code === CODEC_DAG_PB) {
    try {
      dagPb.decode(bytes);
    } catch (e) {
      throw new BlockVerificationError(id, `not a valid dag-pb node: ${(e as Error).message}`, opts);
    }
  }
}

/** The CID a block of bytes would have under `codec` with sha2-256, CIDv1. */
export function cidOfBlock(bytes: Uint8Array, codec: number = CODEC_RAW): CID {
  return CID.createV1(codec, Digest.create(MH_SHA2_256, createHash('sha256').update(bytes).digest()));
}

export { CID };
