// A libp2p Ed25519 peer id (`12D3KooW...`) for the RPC `id` answer when no libp2p node runs: the identity
// multihash of the protobuf-encoded public key, base58btc, exactly as libp2p derives it.
import { generateKeyPairSync } from 'node:crypto';
import { base58btc } from 'multiformats/bases/base58';

export interface PeerIdentity {
  id: string;
  /** Protobuf-encoded public key, base64 (the `PublicKey` field of `ipfs id`). */
  publicKey: string;
}

export function newEd25519PeerId(): PeerIdentity {
  const { publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(String(jwk.x), 'base64url');
  const proto = Buffer.concat([Buffer.from([0x08, 0x01, 0x12, raw.length]), raw]);
  const mh = Buffer.concat([Buffer.from([0x00, proto.length]), proto]);
  return { id: base58btc.baseEncode(mh), publicKey: proto.toString('base64') };
}
