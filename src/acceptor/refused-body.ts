/**
 * The rest of a refused request's body, read and thrown away before the answer goes out.
 *
 * A request refused before its body has arrived (413 on its declared length, 415, a bad
 * Content-Encoding, 413 or 503 part-way through) used to be answered and closed at once. Closing a
 * socket whose receive buffer still holds unread bytes makes the kernel send a reset, and a client
 * that writes its whole body before it reads (undici `fetch`, and with it the OpenTelemetry JS
 * exporters) then sees `ECONNRESET` or `EPIPE` instead of the answer — about one attempt in four.
 * An exporter retries a network error but not a 413, so one oversized batch became endless
 * retries. As servers do with a lingering close, the body is drained first (chunks are dropped
 * as they arrive: it costs no memory and nothing counts against the receive budget), within a
 * bound of bytes and of time:
 *
 *   body ends within the bounds  →  answer, and the connection stays open (it is in step)
 *   a bound is passed            →  answer and close (the client may then see a reset)
 *
 * A body that trickles is not waited for beyond the time bound, and the slow-body 408 still
 * closes at once (src/acceptor/body-watchdog.ts): there, ending the connection is the point.
 */

/** How long the rest of a refused body may take to arrive. */
export const REFUSED_BODY_MS = 5000;
/** Bytes of a refused body drained at least; see refusedBodyBytes. */
const MIN_REFUSED_BODY_BYTES = 64 * 1024 * 1024;

/**
 * Bytes of a refused body drained before giving up: 64 MiB, or twice the body limit when that is
 * more. Draining costs no memory, only reading (on loopback, 64 MiB in about 50 ms); the time
 * bound caps what a slow link can make it cost.
 */
export function refusedBodyBytes(maxBodyBytes: number): number {
  return Math.max(2 * maxBodyBytes, MIN_REFUSED_BODY_BYTES);
}

export class RefusedBody {
  private received: number;
  private done = false;
  private readonly timer: NodeJS.Timeout;

  /**
   * `answer(close)` is called once: when the body has ended (close false) or a bound is passed
   * (close true). `received`: bytes of the body read before the refusal.
   */
  constructor(
    private readonly maxBytes: number,
    maxMs: number,
    private readonly answer: (close: boolean) => void,
    received = 0,
  ) {
    this.received = received;
    this.timer = setTimeout(() => this.end(true), maxMs);
  }

  /** A chunk of the body arrived; its bytes are not kept. */
  chunk(bytes: number, isLast: boolean): void {
    if (this.done) return;
    this.received += bytes;
    if (isLast) this.end(false);
    else if (this.received > this.maxBytes) this.end(true);
  }

  /** The client went away: nothing is answered. */
  cancel(): void {
    this.done = true;
    clearTimeout(this.timer);
  }

  private end(close: boolean): void {
    if (this.done) return;
    this.cancel();
    this.answer(close);
  }
}
