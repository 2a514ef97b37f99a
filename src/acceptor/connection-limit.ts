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
 * The count can overshoot by the connections that arrive within one check; where /proc/net is
 * missing (not Linux) the limit is off. Listening again while connections stay open on the port
 * needs SO_REUSEADDR on them, which uSockets sets only when the port is not 0: with `--listen
 * host:0` the listener comes back only once the connections from before the pause have closed.
 */
import fs from 'node:fs';

/** How often the connections are counted. */
export const CHECK_MS = 200;
const TABLES = ['/proc/net/tcp', '/proc/net/tcp6'];
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

export class ConnectionLimit {
  private timer: NodeJS.Timeout | null = null;
  private paused = false;
  private checking = false;
  private lastLog = 0;
  /** Connections at the last check. */
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
      const tables = await Promise.all(TABLES.map((f) => fs.promises.readFile(f, 'latin1').catch(() => '')));
      if (this.timer === null) return; // closed meanwhile
      this.open = countEstablished(tables, this.port());
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
