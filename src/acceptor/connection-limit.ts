/**
 * Open-connection limit. uWS 20.30 tells JavaScript nothing when a connection opens or closes
 * (its C++ HttpContext::filter hook is not exposed, and a response has no socket identity), so the
 * count comes from the kernel: /proc/net/tcp and /proc/net/tcp6 list every TCP socket, and the
 * established ones whose local port is the one Glust listens on (exclusively) are its
 * connections. The count is sampled every CHECK_MS.
 *
 * At the limit the acceptor stops listening: a new connection is refused by the kernel
 * (ECONNREFUSED, which OTLP exporters retry like any connection failure), while every open
 * connection keeps being served. Below the limit again, it listens again on the same port. This
 * is what a server that stops calling accept() does (nginx at worker_connections), except that
 * a refused client learns at once instead of waiting in the backlog.
 *
 * Most checks read only /proc/net/sockstat{,6}: their TCP "inuse" counts every hashed TCP socket
 * of the network namespace (each established connection on any port, both ends of a loopback
 * one, listeners), so it bounds our count from above. While that bound is below the limit, the
 * per-socket tables, whose text the kernel builds anew for every socket at each read, are not
 * read at all. Both reads are synchronous: a few hundred bytes from procfs cost less than the
 * thread-pool round trips of fs.promises (two files, five operations each, five times a second
 * kept four libuv threads waking 20 times a second at idle: about 5% of a core, issue 14).
 *
 * The count can overshoot by the connections that arrive within one check; where /proc/net is
 * missing (not Linux) the limit is off. Listening again while connections stay open on the port
 * needs SO_REUSEADDR on them, which uSockets sets only when the port is not 0: with `--listen
 * host:0` the listener comes back only once the connections from before the pause have closed.
 */
import fs from 'node:fs';

/** How often the connections are counted. */
export const CHECK_MS = 200;
const TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];
const SOCKSTATS = ['/proc/net/sockstat', '/proc/net/sockstat6'];
const ESTABLISHED = '01';
/** Minimum time between two "refusing connections" log lines. */
const LOG_EVERY_MS = 10_000;

export interface ListenControl {
  pause(): void;
  /** Listen again; false when that failed (tried again at the next check). */
  resume(): Promise<boolean>;
}

/** Established TCP connections whose local port is `port`, from /proc/net/tcp{,6} text. */
export function countEstablished(tables: readonly string[], port: number): number {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const text of tables) {
    // Lines: "  sl  local_address rem_address   st ...", addresses as HEXADDR:HEXPORT.
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/, 4);
      if (fields.length < 4 || fields[3] !== ESTABLISHED) continue;
      const local = fields[1]!;
      if (local.slice(local.lastIndexOf(':') + 1) === portHex) n++;
    }
  }
  return n;
}

/**
 * TCP sockets in use in the namespace, IPv4 and IPv6, from /proc/net/sockstat{,6} texts
 * ("TCP: inuse 12 orphan 0 ...", "TCP6: inuse 3"); null when a text has no such line.
 */
export function tcpSocketsInUse(sockstats: readonly string[]): number | null {
  let n = 0;
  for (const text of sockstats) {
    const m = /^TCP6?: inuse (\d+)/m.exec(text);
    if (!m) return null;
    n += Number(m[1]);
  }
  return n;
}

const readProc = (file: string): string => {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return '';
  }
};

export class ConnectionLimit {
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  private checking = false;
  private lastLog = 0;
  /** Connections at the last full count (checks that the sockstat bound settles do not count). */
  open = 0;

  constructor(
    private readonly max: number,
    private readonly port: () => number,
    private readonly listen: ListenControl,
  ) {}

  /** Whether the limit can work here (on and /proc/net readable). */
  static supported(): boolean {
    return fs.existsSync(TABLES[0]!);
  }

  start(): void {
    if (this.max <= 0 || !ConnectionLimit.supported()) return;
    this.timer = setInterval(() => void this.check(), CHECK_MS).unref();
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      if (!this.paused) {
        const bound = tcpSocketsInUse(SOCKSTATS.map(readProc));
        if (bound !== null && bound < this.max) return;
      }
      this.open = countEstablished(TABLES.map(readProc), this.port());
      if (!this.paused && this.open >= this.max) {
        this.paused = true;
        this.listen.pause();
        const now = Date.now();
        if (now - this.lastLog > LOG_EVERY_MS) {
          this.lastLog = now;
          console.warn(`glust: ${this.open} connections open (--max-connections ${this.max}): refusing new ones until some close`);
        }
      } else if (this.paused && this.open < this.max) {
        this.paused = !(await this.listen.resume());
      }
    } finally {
      this.checking = false;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
