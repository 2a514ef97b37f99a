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
import type { TailPart, TailSampler } from './tail-sampler.js';

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

/**
 * Batches taken from the ring into the WAL and not yet acknowledged: `bytes` of ring records from
 * the ring's head on (after the groups before it), `visits` of them batches.
 */
interface Group {
  readonly marks: WalMark[];
  readonly acks: number[];
  readonly rows: number[];
  readonly bytes: number[];
  ringBytes: number;
  visits: number;
  /** Writer.failures when the group began: its commit clears the WAL failure only if none came since. */
  readonly failuresBefore: number;
  /** The live tail's rows of this group, taken when its sync starts, sent once it ended. */
  tail: TailPart | null;
}

export class Writer {
  private closing = false;
  private fsyncs = 0;
  /** The group whose fdatasync runs now, and the one being appended meanwhile (pipelined commit). */
  private syncing: { group: Group; done: Promise<void> } | null = null;
  private pending: Group | null = null;
  /** performance.now() before which no batch is taken: a WAL write or fsync failed. */
  private retryAt = 0;
  private failures = 0;

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
      // Sealing closes descriptors, so never under a running fdatasync; and only with every row
      // in the WAL acknowledged, so a failed commit never leaves rows in a sealed segment (they
      // would be stored, retried and stored again). When a seal is due, the intake pauses until
      // the commits in flight have ended: one pipeline bubble per seal.
      const sealDue = this.sealDue(now);
      if (sealDue && !this.syncing && !this.pending) this.seal(now, false);
      maintenance.kick(now);
      if (now - lastStats >= STATS_EVERY_MS) {
        this.sendStats();
        lastStats = now;
      }
      if (now < this.retryAt) {
        await sleep(this.retryAt - now);
        continue;
      }
      const seq = ring.commitSeq();
      const behind = queue.length > this.limits.maxPendingSegments;
      const appended = behind || (sealDue && (this.syncing || this.pending)) ? 0 : this.appendBatches();
      if (!this.syncing && this.pending) this.startSync();
      if (appended > 0) {
        // Let DuckDB's completions, the fdatasync's and the parent's messages in between polls.
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      if (this.syncing) {
        // Nothing new: wait for the commit to end, and only for that. What producers publish
        // meanwhile stays in the ring and is appended, all of it at once, right after; it could
        // not be synced any sooner anyway (one fdatasync at a time). Waiting for commits here
        // as well woke this thread for every batch during every fdatasync, and each wake cost
        // the producer a futex wake and this thread a loop turn: issue 14, the decoders'
        // tryPublish (Atomics.notify) was their first function by self time.
        await this.syncing.done;
        continue;
      }
      if (behind) {
        await sleep(BEHIND_RETRY_MS);
        continue;
      }
      // Closing: every producer has finished, the ring is empty and everything is acknowledged.
      if (this.closing) break;
      // Sleep until a producer publishes, the oldest row is due for sealing, or a stats tick.
      const oldest = Math.max(...tables.map((t) => t.wal.oldestAgeMs(now)));
      const dueIn = oldest > 0 ? this.parts.sealTiming.sealAfterMs - oldest : STATS_EVERY_MS;
      await ring.waitForCommit(seq, Math.max(1, Math.min(dueIn, STATS_EVERY_MS)));
    }
    // After an abort a fdatasync may still run on a segment's descriptor: let it end first.
    await this.syncing?.done;
    if (!signal.aborted) {
      // Seal and convert everything. A conversion that fails is retried a second later until it
      // succeeds or the stop is given up ('abort', after --shutdown-timeout-s or a second signal).
      this.seal(performance.now(), true);
      await maintenance.drain();
    }
    await maintenance.settled();
    this.sendStats();
  }

  private sealDue(now: number): boolean {
    return this.parts.tables.some((t) => t.wal.sealDue(now, this.parts.sealTiming.sealAfterMs, this.limits.segmentBytes));
  }

  private seal(now: number, all: boolean): void {
    const { tables, queue, sealTiming } = this.parts;
    for (const t of tables) {
      for (const segment of t.wal.seal(now, sealTiming.sealAfterMs, this.limits.segmentBytes, all)) queue.push(t, segment);
    }
  }

  /**
   * Append the batches published after those already taken (the syncing and pending groups stay
   * in the ring until acknowledged, so a poll visits them first: they are skipped) to the pending
   * group. Returns the ring bytes taken: 0 when there was nothing new, -1 when a write failed
   * (this poll's rows are undone and its batches stay in the ring; the groups before it go on).
   */
  private appendBatches(): number {
    const { ring, tables, tail } = this.parts;
    const ahead = [this.syncing?.group, this.pending].filter((g) => g !== undefined && g !== null);
    const skipVisits = ahead.reduce((n, g) => n + g.visits, 0);
    const skipBytes = ahead.reduce((n, g) => n + g.ringBytes, 0);
    const marks: WalMark[] = tables.map((t) => t.wal.mark());
    const group = this.pending ?? { marks, acks: [], rows: tables.map(() => 0), bytes: tables.map(() => 0), ringBytes: 0, visits: 0, failuresBefore: this.failures, tail: null };
    const before = { acks: group.acks.length, rows: [...group.rows], bytes: [...group.bytes] };
    let visit = 0;
    let taken: number;
    try {
      taken = ring.poll((batch) => {
        if (visit++ < skipVisits) return;
        if (batch.rows > 0) {
          tables[batch.signal]!.wal.append(batch.day, batch.payload, batch.rows);
          if (tail.on) tail.collect(batch.signal, batch.payload, batch.rows);
          group.rows[batch.signal]! += batch.rows;
          group.bytes[batch.signal]! += batch.payload.byteLength;
        }
        if (batch.flags & BatchFlags.LAST) group.acks.push(batch.requestId);
      }) - skipBytes;
    } catch (err) {
      // A failed write (disk full, I/O error): undo this poll's rows, keep its batches in the
      // ring, and let the loop retry after a pause.
      group.acks.length = before.acks;
      before.rows.forEach((r, i) => (group.rows[i] = r));
      before.bytes.forEach((b, i) => (group.bytes[i] = b));
      this.undo(marks, `WAL write failed: ${(err as Error).message}`);
      return -1;
    }
    if (taken <= 0) return 0;
    group.ringBytes += taken;
    group.visits = visit - skipVisits + group.visits;
    this.pending = group;
    return taken;
  }

  /**
   * Group commit, pipelined: fdatasync the pending group on libuv's pool while the loop appends
   * the next one. Acknowledgements go in order and only after their rows are synced: a group's
   * sync starts after the previous group's ended, and it covers every byte appended before it.
   */
  private startSync(): void {
    const group = this.pending!;
    this.pending = null;
    if (this.parts.tail.on) group.tail = this.parts.tail.take();
    const done = Promise.all(this.parts.tables.map((t) => t.wal.syncAsync())).then(
      (synced) => {
        this.fsyncs += synced.reduce((a, b) => a + b, 0);
        this.syncing = null;
        this.acknowledge(group);
      },
      (err: unknown) => {
        this.syncing = null;
        // Nothing since the group's mark is surely durable, the group appended meanwhile
        // included: undo both, keep their batches in the ring, acknowledge nothing.
        this.pending = null;
        this.undo(group.marks, `WAL fsync failed: ${(err as Error).message}`);
      },
    );
    this.syncing = { group, done };
  }

  private acknowledge(group: Group): void {
    const { ring, tables, tail, health } = this.parts;
    ring.release(group.ringBytes);
    // WAL bytes do not count against --max-bytes (src/storage/retention.ts): only conversions tell retention.
    tables.forEach((t, i) => t.appended(group.rows[i]!, group.bytes[i]!));
    if (group.acks.length > 0) this.parts.send({ type: 'acked', requestIds: group.acks });
    if (tail.on || group.tail) tail.flush(group.tail, performance.now());
    if (group.failuresBefore === this.failures) health.clear('wal');
  }

  /** Roll the WAL back to `marks` after a failed write or fsync, report it, pause the intake. */
  private undo(marks: readonly WalMark[], message: string): void {
    const { tables, tail, health } = this.parts;
    tail.discard();
    tables.forEach((t, i) => {
      try {
        t.wal.rollback(marks[i]!);
      } catch {
        // The retry will fail the same way and be reported again.
      }
    });
    health.fail('wal', message);
    this.failures++;
    this.retryAt = performance.now() + WAL_RETRY_MS;
  }

  private sendStats(): void {
    const { tables, queue, health, jobs } = this.parts;
    const stats: WriterStats = {
      tables: Object.fromEntries(tables.map((t) => [t.schema.name, t.stats(queue.countOf(t))])),
      fsyncs: this.fsyncs,
      vanishedFiles: health.vanishedFiles,
      ...jobs.takeSamples(),
    };
    this.parts.send({ type: 'stats', stats });
  }
}
