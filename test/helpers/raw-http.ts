/**
 * HTTP over a bare TCP socket, for requests a client library would refuse or rewrite: paths with
 * `..`, backslashes or NUL bytes (fetch normalises or rejects them), bodies sent slowly, or
 * connections held open without a request.
 */
import net from 'node:net';

export interface RawAnswer {
  /** 0 when the connection closed without a status line. */
  readonly status: number;
  readonly raw: string;
}

/** Write `request` as it is and read until the server closes the connection (or `timeoutMs`). */
export function rawRequest(port: number, request: string | Buffer, timeoutMs = 5000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let out = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (out += d));
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1] ?? 0), raw: out }));
    socket.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no end of answer within ${timeoutMs} ms: ${out.slice(0, 200)}`)));
  });
}

/** GET `requestPath` exactly as given, on a connection closed after the answer. */
export async function rawGet(port: number, requestPath: string): Promise<string> {
  return (await rawRequest(port, `GET ${requestPath} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)).raw;
}

/** One keep-alive connection, for requests one after another and for watching it close. */
export class RawConnection {
  readonly closed: Promise<void>;
  private buffer = '';
  private waiting: (() => void) | null = null;
  private error: Error | null = null;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.waiting?.();
    });
    socket.on('error', (err) => (this.error = err));
    this.closed = new Promise((resolve) => socket.on('close', () => {
      this.waiting?.();
      resolve();
    }));
  }

  /** Connect; rejects with the socket error (ECONNREFUSED when the server refuses). */
  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readyState === 'closed';
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Read one response (status line, headers, Content-Length body); null if the connection closed first. */
  async response(timeoutMs = 10_000): Promise<{ status: number; headers: string; body: string } | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const headers = this.buffer.slice(0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(headers)?.[1] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const body = this.buffer.slice(end + 4, end + 4 + length);
          this.buffer = this.buffer.slice(end + 4 + length);
          return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(headers)?.[1] ?? 0), headers, body };
        }
      }
      if (this.isClosed) return null;
      if (Date.now() > deadline) throw new Error(`no response within ${timeoutMs} ms (${this.error?.message ?? 'no error'})`);
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
