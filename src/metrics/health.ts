/**
 * Health: liveness (the process answers) and readiness (it can take data now). Not ready while
 * storage is failing, or while ingest has been refused for overload without a single success
 * for longer than OVERLOAD_GRACE_MS (the rings stay full). Also keeps the key figures /health
 * reports: recent throughput and ack-latency percentiles from an HDR histogram.
 */
import * as hdr from 'hdr-histogram-js';

const OVERLOAD_GRACE_MS = 2000;
/** Figures cover the last WINDOW_MS to 2×WINDOW_MS (two rotating windows). */
const WINDOW_MS = 10_000;
const OVERLOAD_CODES = new Set([
  'GLUST_ERR_OVERLOAD_RING_FULL',
  'GLUST_ERR_OVERLOAD_WRITER_BEHIND',
  'GLUST_ERR_OVERLOAD_DECODE_QUEUE',
  'GLUST_ERR_OVERLOAD_RECEIVE_BUDGET',
]);

function newHistogram(): hdr.Histogram {
  // Microseconds, 1 µs to 10 minutes, 3 significant digits.
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
}

interface Window {
  start: number;
  records: Record<string, number>;
  ack: hdr.Histogram;
}

export class Health {
  private readonly startedAt = Date.now();
  private overloadSince = 0;
  private writerFailing: string | null = null;
  private current: Window = { start: Date.now(), records: {}, ack: newHistogram() };
  private previous: Window | null = null;

  private rotate(now: number): void {
    if (now - this.current.start < WINDOW_MS) return;
    this.previous = this.current;
    this.current = { start: now, records: {}, ack: this.previous.ack };
    this.current.ack = newHistogram();
  }

  onReply(status: number, code: string | null): void {
    if (status === 200) this.overloadSince = 0;
    else if (code && OVERLOAD_CODES.has(code) && this.overloadSince === 0) this.overloadSince = Date.now();
  }

  onAccepted(signal: string, records: number): void {
    this.rotate(Date.now());
    this.current.records[signal] = (this.current.records[signal] ?? 0) + records;
  }

  onAck(seconds: number): void {
    this.rotate(Date.now());
    this.current.ack.recordValue(Math.max(1, Math.round(seconds * 1e6)));
  }

  setWriterFailing(message: string | null): void {
    this.writerFailing = message;
  }

  /** Why the server is not ready, or [] when it is. */
  reasons(now = Date.now()): string[] {
    const out: string[] = [];
    if (this.writerFailing) out.push(`storage failing: ${this.writerFailing}`);
    if (this.overloadSince && now - this.overloadSince >= OVERLOAD_GRACE_MS) {
      out.push(`ingest refused for overload for ${Math.round((now - this.overloadSince) / 1000)} s without a success (rings full)`);
    }
    return out;
  }

  report(extra: Record<string, unknown>, version: string) {
    const now = Date.now();
    this.rotate(now);
    const windows = [this.previous, this.current].filter((w): w is Window => w !== null);
    const seconds = Math.max(1, (now - windows[0]!.start) / 1000);
    const perSecond: Record<string, number> = {};
    const ack = newHistogram();
    for (const w of windows) {
      for (const [signal, n] of Object.entries(w.records)) perSecond[signal] = (perSecond[signal] ?? 0) + n;
      ack.add(w.ack);
    }
    for (const k of Object.keys(perSecond)) perSecond[k] = Math.round(perSecond[k]! / seconds);
    const reasons = this.reasons(now);
    const ms = (p: number) => (ack.totalCount === 0 ? null : ack.getValueAtPercentile(p) / 1000);
    return {
      status: reasons.length === 0 ? 'ok' : 'not ready',
      live: true,
      ready: reasons.length === 0,
      reasons,
      version,
      uptimeSeconds: Math.round((now - this.startedAt) / 1000),
      recordsPerSecond: perSecond,
      ackLatencyMs: { p50: ms(50), p95: ms(95), p99: ms(99), max: ack.totalCount === 0 ? null : ack.maxValue / 1000, count: ack.totalCount },
      ...extra,
    };
  }
}
