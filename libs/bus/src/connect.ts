// Connect to NATS with the configured credentials: user/password, token, creds file, TLS.
import type { NatsConfig } from '@hls/contracts';
import { credsAuthenticator, type ConnectionOptions, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { readFileSync } from 'node:fs';

export function connectionOptions(cfg: NatsConfig, name: string): ConnectionOptions {
  const opts: ConnectionOptions = {
    servers: cfg.url.split(',').map((s) => s.trim()),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    // Otherwise every request (a JetStream publish, an ack, a KV read) captures a stack trace up front in case
    // it fails: about 2 % of a run's main thread, for context our own errors already give (subject, ids).
    noAsyncTraces: true,
  };
  if (cfg.user) {
    opts.user = cfg.user;
    opts.pass = cfg.pass ?? '';
  }
  if (cfg.token) opts.token = cfg.token;
  if (cfg.creds_file) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(cfg.creds_file);
    } catch (e) {
      throw new Error(`cannot read NATS creds file ${cfg.creds_file} (nats.creds_file): ${(e as Error).message}`);
    }
    opts.authenticator = credsAuthenticator(creds);
  }
  if (cfg.tls && (cfg.tls.ca_file || cfg.tls.cert_file || cfg.tls.key_file)) {
    opts.tls = {
      ...(cfg.tls.ca_file ? { caFile: cfg.tls.ca_file } : {}),
      ...(cfg.tls.cert_file ? { certFile: cfg.tls.cert_file } : {}),
      ...(cfg.tls.key_file ? { keyFile: cfg.tls.key_file } : {}),
    };
  }
  return opts;
}

export async function connectNats(cfg: NatsConfig, name: string): Promise<NatsConnection> {
  try {
    return await connect(connectionOptions(cfg, name));
  } catch (e) {
    throw new Error(`cannot connect to NATS at ${cfg.url} (nats.url): ${(e as Error).message}`, { cause: e });
  }
}
