/**
 * The write stage: the only code that appends to storage, on the writer thread.
 *
 *   batch ring ──poll──▶ WAL append (per table, per day) ──release ring──▶ fdatasync ──▶ "acked"
 *                                      │
 *                        seal every sealAfterMs or segmentBytes
 *                                      ▼
 *                 conversion queue ──▶ maintenance slot (src/writer/maintenance.ts)
 *
 * One loop: poll whatever batches are published, append them to their table's active segment
 * for their day, give the ring space back, fsync once for the whole group (group commit),
 * acknowledge the requests whose last batch was in the group. Sealed segments go to the
 * conversion queue, which the maintenance slot works off while the loop goes on. When more than
 * maxPendingSegments wait, the loop stops taking batches: the ring fills, decoders time out, and
 * the acceptor refuses with 503 — the writer being behind is visible to clients, not hidden in
 * memory.
 */
import type { BatchRing } from '../ring/batch-ring.js';
import { BatchFlags } from '../ring/layout.js';
import type { RetentionSchedule } from '../storage/retention.js';
import type { WalMark } from '../storage/wal.js';
import type { WriterEvent, WriterStats } from '../threads/protocol.js';
import type { ConversionQueue, SealTiming } from './conversions.js';
import type { StorageHealth } from './health.js';
import type { StorageJobs } from './jobs.js';
import type { Maintenance } from './maintenance.js';
import type { TableState } from './tables.js';
import type { TailSampler } from './tail-sampler.js';

export interface WriterParts {
  readonly ring: BatchRing;
  /** By signal index (the batch ring's `signal`). */
  readonly tables: readonly TableState[];
  readonly queue: ConversionQueue;
  readonly sealTiming: SealTiming;
  readonly maintenance: Maintenance;
  readonly jobs: StorageJobs;
  /** Told of every byte appended, so a sweep comes as soon as --max-bytes may be passed. */
  readonly retention: RetentionSchedule;
  readonly health: StorageHealth;
  readonly tail: TailSampler;
  readonly send: (event: WriterEvent) => void;
  /** WriterCommand 'abort': stop at once (the WAL keeps what was not converted). */
  readonly signal: AbortSignal;
}

export interface WriterLimits {
  readonly segmentBytes: number;
  readonly maxPendingSegments: number;
}

/** A failed WAL write is retried after this long; a writer that is behind looks again after that. */
const WAL_RETRY_MS = 200;
const BEHIND_RETRY_MS = 5;
const STATS_EVERY_MS = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Writer {
  private closing = false;
  private fsyncs = 0;

  constructor(
    private readonly parts: WriterParts,
    private readonly limits: WriterLimits,
  ) {}

  /** WriterCommand 'close': no producer is left; drain the ring, convert everything, return. */
  close(): void {
    this.closing = true;
  }

  /** Run until closed (everything converted) or aborted. Resolves after the last stats message. */
  async run(): Promise<void> {
    const { ring, queue, maintenance, tables, signal } = this.parts;
    let lastStats = 0;
    while (!signal.aborted) {
      const now = performance.now();
      this.seal(now, false);
      maintenance.kick(now);
      if (now - lastStats >= STATS_EVERY_MS) {
        this.sendStats();
        lastStats = now;
      }
      const seq = ring.commitSeq();
      const behind = queue.length > this.limits.maxPendingSegments;
      const consumed = behind ? 0 : this.drainOnce();
      if (consumed > 0) {
        // Let DuckDB's completions and the parent's messages in between groups.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      if (consumed < 0 || behind) {
        await sleep(consumed < 0 ? WAL_RETRY_MS : BEHIND_RETRY_MS);
        continue;
      }
      // Closing: every producer has finished and the ring is empty.
      if (this.closing) break;
      // Sleep until a producer publishes, the oldest row is due for sealing, or a stats tick.
      const oldest = Math.max(...tables.map((t) => t.wal.oldestAgeMs(now)));
      const dueIn = oldest > 0 ? this.parts.sealTiming.sealAfterMs - oldest : STATS_EVERY_MS;
      await ring.waitForCommit(seq, Math.max(1, Math.min(dueIn, STATS_EVERY_MS)));
    }
    if (!signal.aborted) {
      // Seal and convert everything. A conversion that fails is retried a second later until it
      // succeeds or the stop is given up ('abort', after --shutdown-timeout-s or a second signal).
      this.seal(performance.now(), true);
      await maintenance.drain();
    }
    await maintenance.settled();
    this.sendStats();
  }

  private seal(now: number, all: boolean): void {
    const { tables, queue, sealTiming } = this.parts;
    for (const t of tables) {
      for (const segment of t.wal.seal(now, sealTiming.sealAfterMs, this.limits.segmentBytes, all)) queue.push(t, segment);
    }
  }

  /**
   * Take every published batch into the WAL, fsync, acknowledge. Returns the ring bytes consumed:
   * 0 when there was nothing, -1 when storage failed (the batches stay in the ring for a retry).
   */
  private drainOnce(): number {
    const { ring, tables, tail, health } = this.parts;
    const acks: number[] = [];
    const marks: WalMark[] = tables.map((t) => t.wal.mark());
    const rowsAdded = tables.map(() => 0);
    const bytesAdded = tables.map(() => 0);
    let consumed: number;
    try {
      consumed = ring.poll((batch) => {
        if (batch.rows > 0) {
          tables[batch.signal]!.wal.append(batch.day, batch.payload, batch.rows);
          if (tail.on) tail.collect(batch.signal, batch.payload, batch.rows);
          rowsAdded[batch.signal]! += batch.rows;
          bytesAdded[batch.signal]! += batch.payload.byteLength;
        }
        if (batch.flags & BatchFlags.LAST) acks.push(batch.requestId);
      });
      if (consumed === 0) return 0;
      for (const t of tables) this.fsyncs += t.wal.sync();
    } catch (err) {
      // A failed write or fsync (disk full, I/O error): undo partial rows, keep the batches in
      // the ring, acknowledge nothing, and let the loop retry after a pause.
      tail.discard();
      tables.forEach((t, i) => {
        try {
          t.wal.rollback(marks[i]!);
        } catch {
          // The retry will fail the same way and be reported again.
        }
      });
      health.fail('wal', `WAL write failed: ${(err as Error).message}`);
      return -1;
    }
    ring.release(consumed);
    tables.forEach((t, i) => {
      t.appended(rowsAdded[i]!, bytesAdded[i]!);
      this.parts.retention.noteBytes(bytesAdded[i]!);
    });
    if (acks.length > 0) this.parts.send({ type: 'acked', requestIds: acks });
    if (tail.on) tail.flush(performance.now());
    health.clear('wal');
    return consumed;
  }

  private sendStats(): void {
    const { tables, queue, health, jobs } = this.parts;
    const stats: WriterStats = {
      tables: Object.fromEntries(tables.map((t) => [t.schema.name, t.stats(queue.countOf(t))])),
      fsyncs: this.fsyncs,
      vanishedFiles: health.vanishedFiles,
      conversions: jobs.takeSamples(),
    };
    this.parts.send({ type: 'stats', stats });
  }
}
