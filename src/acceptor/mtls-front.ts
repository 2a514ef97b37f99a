/**
 * Mutual TLS in front of the uWS acceptor.
 *
 * uWS 20.30's SSLApp with `ca_file_name` refuses a client certificate from a foreign CA but lets
 * a client that presents no certificate at all through, and it does not tell a handler whether a
 * certificate was presented. So with `--tls-client-ca` Glust terminates TLS in node:tls, which
 * enforces it (requestCert + rejectUnauthorized: no certificate, an unknown issuer, an expired or
 * not-yet-valid certificate all fail the handshake), and relays the plain bytes of accepted
 * connections to the uWS app on a private unix socket:
 *
 *   client ──TLS──▶ node:tls server (host:port) ──plain HTTP──▶ unix socket 0700 dir ──▶ uWS app
 *
 * The socket lives in a fresh directory only Glust's user can enter, so nobody can bypass the
 * handshake by connecting to it. A refused handshake never opens the relay: nothing the client
 * sent reaches the acceptor. The relay costs a copy per byte on the main thread; the README's
 * "Authentication" section gives the measured throughput.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { GlustError } from '../errors.js';

/** A client that has not finished its handshake by then is cut (slow or idle handshakes hold sockets). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface MutualTlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
}

export class MutualTlsFront {
  private readonly servers: tls.Server[] = [];
  private readonly connections = new Set<net.Socket>();
  /** Private directory of the backend socket. */
  private readonly dir: string;
  /** Where the uWS app listens: the relay's target. */
  readonly backendPath: string;
  readonly addresses: string[] = [];
  port = 0;
  /** Called for each refused handshake (counted in /metrics). */
  onRefused: () => void = () => {};

  constructor(private readonly material: MutualTlsMaterial) {
    // mkdtemp creates the directory with mode 0700. os.tmpdir(), not the data directory: a unix
    // socket path must stay under ~100 bytes.
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glust-mtls-'));
    this.backendPath = path.join(this.dir, 'acceptor.sock');
  }

  /** Listen on each of `hosts` (one port for all, like the acceptor). */
  async listen(hosts: readonly string[], port: number): Promise<void> {
    for (const host of hosts) {
      const server = tls.createServer({
        cert: this.material.cert,
        key: this.material.key,
        ca: this.material.ca,
        requestCert: true,
        rejectUnauthorized: true,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      }, (socket) => this.relay(socket));
      // Counted, not logged: a scanner or a misconfigured sender would flood the log. The
      // client sees the TLS alert that names the reason.
      server.on('tlsClientError', (_err, socket) => {
        this.onRefused();
        socket.destroy();
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (err) => reject(new GlustError('GLUST_ERR_LISTEN_FAILED', `could not listen on ${host}:${port}: ${err.message}`)));
        server.listen({ host, port, exclusive: true }, resolve);
      });
      port = (server.address() as net.AddressInfo).port;
      this.servers.push(server);
      this.addresses.push(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
    }
    this.port = port;
  }

  private relay(client: tls.TLSSocket): void {
    // rejectUnauthorized already refused the handshake of an unverified peer; this is the one
    // place that decides, so it checks again rather than trust an option set elsewhere.
    if (!client.authorized) return void client.destroy();
    const upstream = net.connect(this.backendPath);
    this.connections.add(client);
    const end = () => {
      this.connections.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    // pipe() carries backpressure both ways: a slow reader pauses the other side.
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Stop accepting; open connections finish their requests (closeAll cuts them). */
  close(): void {
    for (const s of this.servers.splice(0)) s.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  closeAll(): void {
    for (const c of this.connections) c.destroy();
  }
}
