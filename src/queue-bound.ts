/**
 * How many requests may wait for a decode worker: as many as the workers finish in
 * `maxQueueMs`, and never fewer than `floor`.
 *
 * A fixed count is wrong in both directions: at 1,000 requests/s a queue of 32 is 32 ms of work,
 * so a scheduling hiccup of a few tens of ms (two cores shared by the acceptor, two decoders,
 * the writer and DuckDB) refuses requests the server could easily have taken; with slow bodies
 * (big realistic spans) the same 32 can be a second of waiting. Bounding the expected wait keeps
 * the promise the bound is there for — overload becomes 503 + Retry-After, not latency.
 */
export class QueueBound {
  private completed = 0;
  private windowStart = performance.now();
  /** Decode completions per second, smoothed over recent 250 ms windows. */
  private rate = 0;

  constructor(
    private readonly floor: number,
    private readonly maxQueueMs: number,
  ) {}

  /** A decode task finished. */
  noteCompleted(): void {
    this.completed++;
    const now = performance.now();
    const elapsed = now - this.windowStart;
    if (elapsed >= 250) {
      const windowRate = (this.completed * 1000) / elapsed;
      this.rate = this.rate === 0 ? windowRate : 0.5 * this.rate + 0.5 * windowRate;
      this.completed = 0;
      this.windowStart = now;
    }
  }

  /** Requests allowed to wait right now. */
  limit(): number {
    return Math.max(this.floor, Math.floor((this.rate * this.maxQueueMs) / 1000));
  }
}
