// What both load generators (loadgen.mjs over HTTP/1.1, grpc-loadgen.mjs over HTTP/2) share:
// the clock that schedules requests, the warm-up, the per-second timeline, the HDR histograms and
// the result's common fields. A transport brings its slots (a keep-alive socket, a place in an
// HTTP/2 session's streams) and a `send(slot, scheduled)`; it reports each answer back with
// `answered(slot, ...)`.
//
//   rate > 0   open loop: requests are scheduled on a clock at `rate` per second; when every
//              slot is busy the scheduled requests wait, and latency is measured from the
//              scheduled time, not the send time, so a stalling server cannot hide its queueing
//              (coordinated omission). A backlog over one second of requests is dropped and
//              counted, which bounds the generator's memory.
//   rate = 0   closed loop: each slot sends its next request as soon as the previous one is
//              answered (maximum throughput; latency from the send time).
import * as hdr from 'hdr-histogram-js';
import { buildBodies, gzipBody, patchBody } from './payloads.mjs';

export const histogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });

/**
 * The bodies a run cycles through: at least four per slot, so a body is not patched again while
 * a send of it may still be in flight. Compressed bodies cannot be patched: they get fresh ids
 * once, then are compressed.
 */
export function loadBodies(opts) {
  const bodies = buildBodies(opts.shape, opts.signal, Math.max(opts.bodies, opts.connections * 4));
  if (!opts.gzip) return bodies;
  const now = BigInt(Date.now()) * 1_000_000n;
  return bodies.map((b) => {
    patchBody(b, now);
    return gzipBody(b);
  });
}

const emptySecond = () => ({ sent: 0, acked: 0, records: 0, byStatus: {}, latency: histogram() });

export class LoadRun {
  constructor(opts) {
    this.opts = opts;
    this.total = { sent: 0, answered: 0, acked: 0, records: 0, byStatus: {}, errors: 0, backlogDropped: 0, latency: histogram() };
    // Everything acknowledged, warm-up included: what the server must have stored.
    this.allAckedRecords = 0;
    this.second = emptySecond();
    this.timeline = [];
    this.measuring = false;
    this.stopping = false;
    this.inFlight = 0;
    this.idle = [];
    this.backlog = []; // scheduled times (ms) waiting for an idle slot
    this.maxBacklog = Math.max(100, opts.rate);
  }

  /** A load request leaves (retries, duplicates and broken bodies are not load). */
  sent() {
    this.second.sent++;
    if (this.measuring) this.total.sent++;
  }

  /** One answer to a load request: `status` is the key it is counted under, `ok` an ack. */
  record(status, ok, latencyUs, records) {
    const key = String(status);
    if (ok) this.allAckedRecords += records;
    for (const bucket of this.measuring ? [this.total, this.second] : [this.second]) {
      bucket.byStatus[key] = (bucket.byStatus[key] ?? 0) + 1;
      bucket.latency.recordValue(Math.max(1, Math.round(latencyUs)));
      if (ok) {
        bucket.acked++;
        bucket.records += records;
      }
    }
    if (this.measuring) this.total.answered++;
  }

  /** A slot is free again: it takes the oldest waiting schedule, or the next closed-loop send. */
  freed(slot, now, send) {
    if (this.opts.rate > 0) {
      if (this.backlog.length > 0) send(slot, this.backlog.shift());
      else this.idle.push(slot);
    } else if (!this.stopping) send(slot, now);
  }

  tickOpenLoop(state, send) {
    const now = performance.now();
    while (state.nextDue <= now && !this.stopping) {
      const slot = this.idle.pop();
      if (slot) send(slot, state.nextDue);
      else if (this.backlog.length < this.maxBacklog) this.backlog.push(state.nextDue);
      else if (this.measuring) this.total.backlogDropped++;
      state.nextDue += state.interval;
    }
  }

  snapshotSecond(t) {
    const l = this.second.latency;
    this.timeline.push({
      t,
      sent: this.second.sent,
      acked: this.second.acked,
      recordsPerSecond: this.second.records,
      byStatus: this.second.byStatus,
      p50ms: l.totalCount ? l.getValueAtPercentile(50) / 1000 : null,
      p99ms: l.totalCount ? l.getValueAtPercentile(99) / 1000 : null,
      maxMs: l.totalCount ? l.maxValue / 1000 : null,
      backlog: this.backlog.length,
    });
    this.second = emptySecond();
  }

  /**
   * Run warm-up and measurement over `slots`, then let the requests in flight finish (bounded).
   * Returns the measured seconds and the generator's own CPU seconds.
   */
  async run(slots, send) {
    const { opts } = this;
    this.idle.push(...slots);
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    const endAt = started + (opts.warmupS + opts.durationS) * 1000;
    const state = { nextDue: started, interval: opts.rate > 0 ? 1000 / opts.rate : 0 };
    let measureStart = 0;
    if (opts.warmupS === 0) {
      this.measuring = true;
      measureStart = started;
    }
    if (opts.rate === 0) for (const s of this.idle.splice(0)) send(s, performance.now());
    let nextSecond = started + 1000;
    await new Promise((resolve) => {
      const tick = () => {
        const now = performance.now();
        if (!this.measuring && now >= started + opts.warmupS * 1000) {
          this.measuring = true;
          measureStart = now;
        }
        if (opts.rate > 0) this.tickOpenLoop(state, send);
        if (now >= nextSecond) {
          this.snapshotSecond(Math.round((nextSecond - started) / 1000));
          nextSecond += 1000;
        }
        if (now >= endAt) return resolve();
        setTimeout(tick, opts.rate > 0 ? Math.max(0, Math.min(1, state.nextDue - now)) : 50);
      };
      tick();
    });
    this.stopping = true;
    const measuredS = (performance.now() - measureStart) / 1000;
    const drainUntil = performance.now() + 15_000;
    while (this.inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
    this.total.backlogDropped += this.backlog.length;
    const cpu = process.cpuUsage(cpu0);
    return { measuredS, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  }

  /** The result fields every generator prints, for `bodies` sent over `measuredS` seconds. */
  summary(bodies, { measuredS, cpuSeconds }) {
    const { total, opts } = this;
    const l = total.latency;
    const pct = (p) => (l.totalCount ? l.getValueAtPercentile(p) / 1000 : null);
    const recordsPerRequest = bodies.reduce((s, b) => s + b.records, 0) / bodies.length;
    return {
      options: opts,
      measuredSeconds: measuredS,
      sent: total.sent,
      answered: total.answered,
      acked: total.acked,
      ackedRecords: total.records,
      ackedRecordsPerSecond: total.records / measuredS,
      totalAckedRecordsIncludingWarmup: this.allAckedRecords,
      offeredRecordsPerSecond: opts.rate > 0 ? opts.rate * recordsPerRequest : null,
      byStatus: total.byStatus,
      refusedFraction: total.answered ? (total.answered - total.acked) / total.answered : 0,
      connectionErrors: total.errors,
      backlogDropped: total.backlogDropped,
      stillInFlight: this.inFlight,
      latencyMs: { p50: pct(50), p90: pct(90), p95: pct(95), p99: pct(99), p999: pct(99.9), max: l.totalCount ? l.maxValue / 1000 : null },
      rawBytesPerRequest: bodies.reduce((s, b) => s + (b.gzipped ? 0 : b.bytes.length), 0) / bodies.length,
      recordsPerRequest,
      generatorCpuSeconds: cpuSeconds,
      timeline: this.timeline,
    };
  }
}

/** Print the result line and end the generator; a failure is one line on stderr and exit 1. */
export function runMain(name, main) {
  main().then(
    (result) => {
      process.stdout.write(JSON.stringify(result) + '\n');
      process.exit(0);
    },
    (err) => {
      process.stderr.write(`${name}: ${err.stack ?? err}\n`);
      process.exit(1);
    },
  );
}
