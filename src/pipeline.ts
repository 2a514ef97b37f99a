/**
 * The ingest pipeline as the acceptor sees it: submit a body, get an outcome.
 *
 * Starts the stages in order — writer (storage first, it recovers the WAL), then the decode
 * pool — and stops them in reverse, draining each. Tracks every request between the moment its
 * body enters the body ring and the moment it can be answered: after its decode result arrived
 * and, in durable mode, after the writer acknowledged its last batch as fsynced.
 */
import { Piscina } from 'piscina';
import type { ServeConfig } from './config.js';
import { GlustError } from './errors.js';
import type { BodyFormat } from './otlp/codec.js';
import type { BodyEncoding } from './otlp/decompress.js';
import type { Signal } from './otlp/signals.js';
import { BatchRing } from './ring/batch-ring.js';
import { QueueBound } from './queue-bound.js';
import { BodyRing } from './ring/body-ring.js';
import { ReadLeases } from './storage/read-leases.js';
import type { SweepReport } from './storage/retention.js';
import type { DecodeResult, DecodeTask, DecodeWorkerData, WriterStats, WriterWorkerData } from './threads/protocol.js';
import { WriterHandle } from './writer/handle.js';

export interface Submission {
  readonly signal: Signal;
  readonly format: BodyFormat;
  readonly encoding: BodyEncoding;
  readonly chunks: readonly Uint8Array[];
  readonly length: number;
}

export type Outcome =
  | { readonly ok: true; readonly accepted: number; readonly rejected: number; readonly message: string }
  | { readonly ok: false; readonly error: GlustError };

interface InFlight {
  readonly signal: Signal;
  readonly started: number;
  readonly resolve: (outcome: Outcome) => void;
  result: DecodeResult | null;
  acked: boolean;
}

/** Things the pipeline reports as they happen (metrics, logs). */
export interface PipelineObserver {
  /** A decode task ended; `queuedSeconds`: how long it waited for a decoder. */
  onDecoded?(signal: Signal, result: DecodeResult, queuedSeconds: number): void;
  /** A request got its answer: `seconds` from entering the ring to the answer (the ack latency). */
  onSettled?(signal: Signal, ok: boolean, seconds: number): void;
  onWriterStats?(stats: WriterStats): void;
  onWriterState?(failing: string | null): void;
  /** A retention sweep ran in the writer (src/storage/retention.ts). */
  onRetention?(report: SweepReport): void;
  /** Acknowledged rows for live tail (WAL row JSON), only while setTail(true). */
  onTail?(table: string, rows: readonly string[], skipped: number): void;
}

/**
 * Young-generation size of each decode worker's V8 heap. V8 grows a busy isolate's semi-spaces
 * to 16 MiB each (48 MiB of young generation), and every decoder does, at any load: with 2
 * decoders, the writer and the main thread that is most of the RSS a loaded server gains (issue
 * 14). A decode allocates much but keeps little past its request (the rows leave as one buffer),
 * so a smaller nursery costs few promotions; 12 MiB gives semi-spaces of 4 MiB.
 */
const DECODER_YOUNG_GENERATION_MB = 12;

/**
 * A decoder beyond the first that has had no task for this long ends; the next burst that finds
 * every decoder busy starts it again (piscina spawns when a task cannot be placed). Each decoder
 * is a V8 isolate of about 14 MB before its first task (issue 14: idle RSS 198 → 185 MB with one
 * instead of two), and at low rates the first decoder takes nearly every task anyway, so the
 * others would only hold memory. A minute is long enough that a steady moderate load (where two
 * tasks overlap now and then) keeps its decoders rather than paying a start-up again and again.
 */
const SPARE_DECODER_IDLE_MS = 60_000;

/** Decode tasks allowed in flight at once; past it requests are refused (503), never queued. */
const MAX_IN_FLIGHT = 4096;

export class Pipeline {
  readonly bodyRing: BodyRing;
  readonly batchRing: BatchRing;
  /** Queries' hold on the files they read, which the writer's deletions wait for (src/storage/read-leases.ts). */
  readonly readLeases = ReadLeases.create();
  /** Why storage is failing right now, or null. */
  writerFailing: string | null = null;
  /** WAL writes fail: no acknowledgement can come until they succeed again. */
  private walFailing = false;
  private readonly inFlight = new Map<number, InFlight>();
  /** Requests whose decode task has not ended, oldest first: when each was submitted (epoch ms, see now()). */
  private readonly decoding = new Map<number, number>();
  private nextRequestId = 1;
  private readonly queueBound: QueueBound;
  private closing = false;
  private closed: Promise<void> | null = null;
  /** Resolves the wait of close() once the last request in flight is settled. */
  private lastSettled: (() => void) | null = null;
  private pool!: Piscina<DecodeTask, DecodeResult>;
  private writer!: WriterHandle;

  private constructor(
    private readonly config: ServeConfig,
    private readonly observer: PipelineObserver,
  ) {
    this.bodyRing = new BodyRing(config.bodyRingBytes);
    this.batchRing = new BatchRing(config.batchRingBytes);
    this.queueBound = new QueueBound(config.maxQueuedRequests, config.maxQueueMs);
  }

  /**
   * `onFatal`: the writer thread died (GLUST_ERR_WRITER_CRASHED). Nothing can be acknowledged
   * any more; the owner decides what happens to the process (`glust serve` exits).
   */
  static async start(config: ServeConfig, observer: PipelineObserver, onFatal: (error: GlustError) => void): Promise<Pipeline> {
    const p = new Pipeline(config, observer);
    await p.startWriter(onFatal);
    p.startDecoders();
    return p;
  }

  /** Rows and segments the writer converted at start, left by an earlier run. */
  get recovered(): { rows: number; segments: number } {
    return this.writer.recovered;
  }

  private async startWriter(onFatal: (error: GlustError) => void): Promise<void> {
    const c = this.config;
    const workerData: WriterWorkerData = {
      batchRing: this.batchRing.sab,
      readLeases: this.readLeases.sab,
      dataDir: c.dataDir,
      flushMs: c.flushMs,
      segmentBytes: c.segmentBytes,
      maxPendingSegments: c.maxPendingSegments,
      duckdbThreads: c.duckdbThreads,
      duckdbMemoryLimit: c.duckdbMemoryLimit,
      retention: { retentionDays: c.retentionDays, maxBytes: c.maxBytes, checkMs: c.retentionCheckMs },
      compact: c.compact ? { afterMs: c.compactAfterMs, targetBytes: c.compactTargetBytes } : null,
    };
    const observer = this.observer;
    this.writer = await WriterHandle.spawn(workerData, {
      acked: (ids) => {
        for (const id of ids) this.onAck(id);
      },
      failing: (message, walFailing) => {
        if (this.writerFailing === null) console.error(`glust: GLUST_ERR_WRITER_FAILED: storage failing, ingest answers 503 until it heals: ${message}`);
        this.writerFailing = message;
        this.walFailing = walFailing;
        if (walFailing) this.refuseUnacknowledged();
        observer.onWriterState?.(message);
      },
      recovered: () => {
        console.error('glust: storage recovered, ingest resumed');
        this.writerFailing = null;
        this.walFailing = false;
        observer.onWriterState?.(null);
      },
      warning: (code, message) => console.error(`glust: ${code}: ${message}`),
      stats: (stats) => observer.onWriterStats?.(stats),
      retention: (report) => observer.onRetention?.(report),
      tail: (table, rows, skipped) => observer.onTail?.(table, rows, skipped),
      fatal: onFatal,
    });
  }

  private startDecoders(): void {
    const workerData: DecodeWorkerData = {
      bodyRing: this.bodyRing.sab,
      batchRing: this.batchRing.sab,
      limits: this.config.limits,
      maxBodyBytes: this.config.maxBodyBytes,
      writerWaitMs: this.config.writerWaitMs,
    };
    this.pool = new Piscina<DecodeTask, DecodeResult>({
      filename: new URL('./threads/decode-worker.js', import.meta.url).href,
      minThreads: 1,
      maxThreads: this.config.workers,
      idleTimeout: SPARE_DECODER_IDLE_MS,
      maxQueue: MAX_IN_FLIGHT,
      // One task per decoder at a time (piscina's default), measured against two (issue 14,
      // bench/results/issue-14/piscina/): two cut a no-op task's CPU through the pool by a third
      // with 32 in flight, but at the server's saturation the CPU per span was the same and a
      // task held behind another in a busy decoder, where the other decoder cannot take it and
      // the queue bound does not see it, raised the p99 (OTLP/gRPC at 90k spans/s: 221-282 ms
      // against 658-669).
      concurrentTasksPerWorker: 1,
      // piscina's own run-time and wait-time histograms: two records per task that nothing reads
      // (glust_decode_queue_wait_seconds is measured here, from the decoder's start time). Work
      // for nothing, though too small to measure (bench/stages/piscina-overhead.mjs).
      recordTiming: false,
      resourceLimits: { maxYoungGenerationSizeMb: DECODER_YOUNG_GENERATION_MB },
      workerData,
    });
  }

  /** Ask the writer to forward acknowledged rows (onTail) while someone watches the live tail. */
  setTail(on: boolean): void {
    this.writer.setTail(on);
  }

  /** Requests whose answer is not yet known. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Decode threads running now (between 1 and --workers, see SPARE_DECODER_IDLE_MS). */
  get decodeWorkers(): number {
    return this.pool.threads.length;
  }

  /** Decode tasks waiting for a worker. */
  get queuedTasks(): number {
    return this.pool.queueSize;
  }

  /**
   * Hand a body to the decoders. Refusals (ring full, shutting down, storage failing) come back
   * at once as an Outcome; accepted bodies resolve when they can be answered.
   */
  submit(sub: Submission): Outcome | Promise<Outcome> {
    if (this.closing) return refuse('GLUST_ERR_SHUTTING_DOWN');
    if (this.writerFailing) return refuse('GLUST_ERR_WRITER_FAILED', `storage failing, retry later: ${this.writerFailing}`);
    // A deep queue in front of the decoders would only turn overload into latency: past about
    // maxQueueMs of waiting work (src/queue-bound.ts), refuse now and let the client retry.
    // The count bound estimates the wait; the oldest waiting task measures it. A decoder held back
    // (by the writer, or a slow body) finishes fewer tasks than the rate it was estimated from,
    // and even the floor's 32 requests can then be many times maxQueueMs of waiting.
    if (this.inFlight.size >= MAX_IN_FLIGHT || this.pool.queueSize >= this.queueBound.limit() || this.oldestQueuedMs() > this.config.maxQueueMs) {
      return refuse('GLUST_ERR_OVERLOAD_DECODE_QUEUE');
    }
    const body = this.bodyRing.write(sub.chunks, sub.length);
    if (!body) return refuse('GLUST_ERR_OVERLOAD_RING_FULL');

    const requestId = this.nextRequestId;
    this.nextRequestId = (this.nextRequestId % 0x7fffffff) + 1;
    const task: DecodeTask = { requestId, signal: sub.signal.index, format: sub.format, encoding: sub.encoding, body };
    const submitted = now();
    return new Promise<Outcome>((resolve) => {
      this.inFlight.set(requestId, { signal: sub.signal, started: performance.now(), resolve, result: null, acked: false });
      this.decoding.set(requestId, submitted);
      this.pool.run(task).then(
        (result) => {
          this.decoding.delete(requestId);
          this.queueBound.noteCompleted();
          this.bodyRing.noteReleased();
          this.observer.onDecoded?.(sub.signal, result, Math.max(0, result.startedAt - submitted) / 1000);
          this.onResult(requestId, result);
        },
        (err: Error) => {
          this.decoding.delete(requestId);
          // The worker died or the queue refused: give the record back ourselves.
          this.bodyRing.release(body);
          this.bodyRing.noteReleased();
          this.forget(requestId);
          resolve({ ok: false, error: new GlustError('GLUST_ERR_INTERNAL', `decode task failed: ${err.message}`) });
        },
      );
    });
  }

  /**
   * How long the oldest task still waiting for a decoder has waited, in ms; 0 when none waits.
   * piscina hands tasks out first in, first out, so the tasks a decoder holds are the oldest of
   * `decoding` (as many as are not in the queue), and the next one is the oldest waiting.
   */
  private oldestQueuedMs(): number {
    const queued = this.pool.queueSize;
    if (queued === 0) return 0;
    let held = this.decoding.size - queued;
    for (const submitted of this.decoding.values()) {
      if (held-- <= 0) return now() - submitted;
    }
    return 0;
  }

  private onResult(requestId: number, result: DecodeResult): void {
    const req = this.inFlight.get(requestId);
    if (!req) return;
    req.result = result;
    const durableWait = result.ok && result.batches > 0 && this.config.ack === 'durable';
    if (!durableWait || req.acked) this.settle(requestId, req);
    else if (this.walFailing) this.refuseUnacknowledged();
  }

  /**
   * While WAL writes fail, answer the requests that wait for their fsync with 503 now rather than
   * hold them until the disk heals (an exporter would time out and retry anyway). Their batches
   * stay in the ring and are written once it heals: at least once, like any refused request
   * (README, Durability); nothing unacknowledged was promised.
   */
  private refuseUnacknowledged(): void {
    for (const [requestId, req] of this.inFlight) {
      if (req.acked || !req.result?.ok) continue;
      const { startedAt, batches } = req.result;
      req.result = { ok: false, startedAt, code: 'GLUST_ERR_WRITER_FAILED', message: `storage failing, retry later: ${this.writerFailing}`, batches };
      this.settle(requestId, req);
    }
  }

  private onAck(requestId: number): void {
    const req = this.inFlight.get(requestId);
    if (!req) return;
    req.acked = true;
    if (req.result) this.settle(requestId, req);
  }

  private settle(requestId: number, req: InFlight): void {
    this.forget(requestId);
    const r = req.result!;
    this.observer.onSettled?.(req.signal, r.ok, (performance.now() - req.started) / 1000);
    req.resolve(r.ok
      ? { ok: true, accepted: r.accepted, rejected: r.rejected, message: r.message }
      : { ok: false, error: new GlustError(r.code, r.message) });
  }

  private forget(requestId: number): void {
    this.inFlight.delete(requestId);
    if (this.inFlight.size === 0) this.lastSettled?.();
  }

  /**
   * Stop: refuse new bodies, let every request in flight finish (they are answered), then stop
   * the decoders, then let the writer drain, seal and convert everything. Idempotent.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing = true;
      if (this.inFlight.size > 0) await new Promise<void>((resolve) => (this.lastSettled = resolve));
      await this.pool.close();
      await this.writer.close();
    })();
    return this.closed;
  }

  /**
   * Give up a graceful stop that takes too long (or a second signal): the writer starts no more
   * DuckDB work, interrupts what runs and closes DuckDB. Resolves once it has exited, or after
   * `ms` in any case. What was acknowledged is in the WAL; the next start converts it. The
   * process may exit afterwards without DuckDB aborting natively under a live query.
   */
  async abort(ms = 5000): Promise<void> {
    this.closing = true;
    await this.writer.abort(ms);
  }
}

/** Wall-clock ms comparable with a decoder's DecodeResult.startedAt (performance.now() alone is per thread). */
function now(): number {
  return performance.timeOrigin + performance.now();
}

function refuse(code: ConstructorParameters<typeof GlustError>[0], message?: string): Outcome {
  return { ok: false, error: new GlustError(code, message) };
}
