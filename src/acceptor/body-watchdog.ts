/**
 * Slow bodies: a request body must keep arriving at a minimum average rate, in the manner of
 * Apache's mod_reqtimeout. A body that started arriving at `t0` has until
 *
 *     t0 + graceMs + receivedBytes / minBytesPerSecond
 *
 * so every byte buys the sender more time, a normal client (whole body in milliseconds) never
 * comes near it, and one that trickles — holding a connection, a slot of the receive budget and
 * its partial body in memory — is answered 408 and disconnected. One interval checks every body
 * being received (they are few: the receive budget bounds them); there is no timer per request.
 *
 * uWS's own timeout only covers a connection on which nothing at all arrives for about ten
 * seconds (uWS 20.30 closes it silently); a byte every few seconds keeps it open, hence this.
 */

export interface WatchdogOptions {
  /** 0 disables the watchdog. */
  readonly minBytesPerSecond: number;
  readonly graceMs: number;
}

/** One body being received. */
export interface Reception {
  /** Bytes received so far; the collector updates it. */
  received: number;
}

interface Watched extends Reception {
  readonly startedMs: number;
  readonly onTooSlow: (received: number, elapsedMs: number) => void;
}

/** How often bodies are checked: a trickler is cut at most this late. */
const CHECK_MS = 250;

export class BodyWatchdog {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: WatchdogOptions) {}

  get enabled(): boolean {
    return this.options.minBytesPerSecond > 0;
  }

  /** Bodies being received right now. */
  get size(): number {
    return this.watched.size;
  }

  /**
   * Watch a body from now on; `onTooSlow` is called once, when it falls behind. Returns the
   * handle to update `received` on and to pass to `stop` when the body is complete or abandoned.
   */
  watch(onTooSlow: (received: number, elapsedMs: number) => void): Reception {
    const w: Watched = { received: 0, startedMs: performance.now(), onTooSlow };
    if (!this.enabled) return w;
    this.watched.add(w);
    // The interval runs while bodies are being received; the first check that finds none stops it.
    this.timer ??= setInterval(() => this.check(), CHECK_MS).unref();
    return w;
  }

  stop(reception: Reception): void {
    this.watched.delete(reception as Watched);
  }

  private check(): void {
    if (this.watched.size === 0) {
      // Stopped here rather than in stop(): under load bodies come and go thousands of times a
      // second, and the timer would be made and cleared as often.
      this.close();
      return;
    }
    const now = performance.now();
    const { graceMs, minBytesPerSecond } = this.options;
    for (const w of this.watched) {
      if (now > w.startedMs + graceMs + (w.received * 1000) / minBytesPerSecond) {
        this.stop(w);
        w.onTooSlow(w.received, now - w.startedMs);
      }
    }
  }

  close(): void {
    this.watched.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
