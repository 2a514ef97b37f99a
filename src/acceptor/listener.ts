/**
 * Where the acceptor listens: every address `--listen` names (`localhost` is each loopback
 * address it resolves to, on one port), or a private unix socket behind the mutual-TLS front
 * end. The connection limit (connection-limit.ts) pauses listening and resumes it on the same
 * port; a transport that is not uWS (gRPC) has its own listener.
 */
import dns from 'node:dns/promises';
import { GlustError } from '../errors.js';
import { type LoadedUws, type TemplatedApp, type us_listen_socket, listenExclusive } from './uws.js';

export interface ListenOptions {
  readonly host: string;
  readonly port: number;
  /** Listen on this unix socket instead of host:port (behind the mutual-TLS front end). */
  readonly unixPath?: string;
}

export class Listener {
  private readonly sockets: us_listen_socket[] = [];
  private hosts: string[] = [];
  private closed = false;
  /** Bound addresses, "host:port" (or "unix:<path>"). */
  readonly addresses: string[] = [];
  port = 0;

  constructor(
    private readonly loaded: LoadedUws,
    private readonly app: TemplatedApp,
    private readonly options: ListenOptions,
  ) {}

  async listen(): Promise<void> {
    if (this.options.unixPath) return this.listenUnix(this.options.unixPath);
    const { uws } = this.loaded;
    this.hosts = await resolveListenHosts(this.options.host);
    let port = this.options.port;
    for (const host of this.hosts) {
      const socket = await listenExclusive(this.loaded, this.app, host, port);
      if (!socket) {
        this.close();
        throw new GlustError('GLUST_ERR_LISTEN_FAILED', `could not listen on ${host}:${port} (in use, or not an address of this machine)`);
      }
      port = uws.us_socket_local_port(socket);
      this.sockets.push(socket);
      this.addresses.push(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
    }
    this.port = port;
  }

  /** Stop listening for a while (open connections go on). */
  pause(): void {
    for (const s of this.sockets.splice(0)) this.loaded.uws.us_listen_socket_close(s);
  }

  /** Listen again on the same port after pause(); false when it could not (tried again later). */
  async resume(): Promise<boolean> {
    for (const host of this.hosts) {
      const socket = await listenExclusive(this.loaded, this.app, host, this.port);
      if (this.closed) {
        if (socket) this.loaded.uws.us_listen_socket_close(socket);
        return false;
      }
      if (!socket) {
        this.pause();
        return false; // the port was taken meanwhile: the limiter tries again on its next check
      }
      this.sockets.push(socket);
    }
    return true;
  }

  private async listenUnix(file: string): Promise<void> {
    const socket = await new Promise<us_listen_socket | false>((resolve) => this.app.listen_unix(resolve, file));
    if (!socket) throw new GlustError('GLUST_ERR_LISTEN_FAILED', `could not listen on unix socket ${file}`);
    this.sockets.push(socket);
    this.addresses.push(`unix:${file}`);
  }

  close(): void {
    this.closed = true;
    this.pause();
  }
}

/** "localhost" means every loopback address it resolves to; other names resolve once. */
export async function resolveListenHosts(host: string): Promise<string[]> {
  if (host === '0.0.0.0' || host === '::' || /^[\d.]+$/.test(host) || host.includes(':')) return [host];
  const found = await dns.lookup(host, { all: true });
  return [...new Set(found.map((a) => a.address))];
}
