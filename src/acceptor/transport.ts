/**
 * How connections reach the acceptor, by the TLS settings:
 *
 *   none                      uws.App() on --listen                          http://
 *   --tls-cert/--tls-key      uws.SSLApp() on --listen (TLS inside uWS)       https://
 *   … and --tls-client-ca     node:tls front end on --listen, enforcing       https://
 *                             client certificates, relaying to uws.App() on
 *                             a private unix socket (see mtls-front.ts)
 *
 * Certificate, key and CA are read and checked with node:tls at start, so a wrong path or a key
 * that does not match the certificate stops the server with GLUST_ERR_TLS_CONFIG instead of
 * failing every handshake later (uWS reports neither).
 */
import fs from 'node:fs';
import tls from 'node:tls';
import type { TlsConfig } from '../config.js';
import { GlustError } from '../errors.js';
import { MutualTlsFront } from './mtls-front.js';
import type { LoadedUws, TemplatedApp } from './uws.js';

export type TlsMode = 'none' | 'tls' | 'mutual';

export interface Transport {
  readonly mode: TlsMode;
  readonly scheme: 'http' | 'https';
  readonly app: TemplatedApp;
  /** Set in mutual mode: the acceptor listens here, and the front end on the public address. */
  readonly front: MutualTlsFront | null;
}

export function readPem(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new GlustError('GLUST_ERR_TLS_CONFIG', `${what} ${file} could not be read: ${(err as Error).message}`);
  }
}

export function createTransport(loaded: LoadedUws, config: TlsConfig | null): Transport {
  if (!config) return { mode: 'none', scheme: 'http', app: loaded.uws.App(), front: null };
  const cert = readPem(config.cert, '--tls-cert');
  const key = readPem(config.key, '--tls-key');
  const ca = config.clientCa === null ? undefined : readPem(config.clientCa, '--tls-client-ca');
  try {
    // Throws on a malformed PEM, a key that does not match the certificate, or a bad CA file.
    tls.createSecureContext({ cert, key, ca });
  } catch (err) {
    throw new GlustError('GLUST_ERR_TLS_CONFIG', `TLS certificate, key or client CA unusable: ${(err as Error).message}`);
  }
  if (ca) return { mode: 'mutual', scheme: 'https', app: loaded.uws.App(), front: new MutualTlsFront({ cert, key, ca }) };
  return { mode: 'tls', scheme: 'https', app: loaded.uws.SSLApp({ cert_file_name: config.cert, key_file_name: config.key }), front: null };
}
