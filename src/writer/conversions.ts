/**
 * Sealed WAL segments waiting for Parquet, oldest first, and how soon to seal the next ones.
 *
 * The queue's length is the writer's backpressure: past --max-pending-segments it stops taking
 * batches (src/writer/writer.ts). Only one conversion runs at a time (src/writer/maintenance.ts),
 * so the segment at the head of the queue is the one being converted.
 */
import fs from 'node:fs';
import type { ParquetConverter } from '../storage/parquet.js';
import type { Reclaimer } from '../storage/reclaim.js';
import type { TableName } from '../storage/schema.js';
import type { Segment } from '../storage/wal.js';
import type { StorageHealth } from './health.js';
import type { TableState } from './tables.js';

export interface Conversion {
  readonly table: TableState;
  readonly segment: Segment;
  readonly rows: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly quarantined: boolean;
}

interface Waiting {
  readonly table: TableState;
  readonly segment: Segment;
}

export class ConversionQueue {
  private readonly waiting: Waiting[] = [];

  constructor(
    private readonly converter: ParquetConverter,
    private readonly health: StorageHealth,
    private readonly reclaimer: Reclaimer,
  ) {}

  get length(): number {
    return this.waiting.length;
  }

  /** The segment converted next (or being converted). */
  get head(): Segment | undefined {
    return this.waiting[0]?.segment;
  }

  push(table: TableState, segment: Segment): void {
    table.queued(segment);
    this.waiting.push({ table, segment });
  }

  /** Segments of `table` waiting. */
  countOf(table: TableState): number {
    return this.waiting.filter((w) => w.table === table).length;
  }

  /** The lowest sequence number of `table`'s segments of `day` waiting for conversion, or null. */
  lowestSeq(table: TableName, day: string): number | null {
    let lowest: number | null = null;
    for (const w of this.waiting) {
      if (w.table.schema.name === table && w.segment.day === day && (lowest === null || w.segment.seq < lowest)) lowest = w.segment.seq;
    }
    return lowest;
  }

  /**
   * Convert the oldest segment: once this resolves its rows are durable in Parquet and the
   * segment is retired (deleted once no query reads it: src/storage/reclaim.ts). Null when nothing waits. Rejects with the conversion's error; the
   * segment then stays first in line (nothing is lost, a full disk may clear).
   */
  async convertNext(): Promise<Conversion | null> {
    while (this.waiting.length > 0 && this.dropIfVanished(this.waiting[0]!));
    const head = this.waiting[0];
    if (!head) return null;
    const { table, segment } = head;
    const started = performance.now();
    let result;
    try {
      result = await this.converter.convert(table.schema, segment);
    } catch (err) {
      // Vanished while DuckDB read it: dropped, and the next one goes instead.
      if (this.dropIfVanished(head)) return this.convertNext();
      throw err;
    }
    // Its Parquet file hides it from new snapshots; one that gave none (no readable row) needs a marker.
    await this.reclaimer.retireLater([segment.path], result.bytes > 0 ? undefined : segment.path);
    this.waiting.shift();
    table.unqueued(segment);
    table.converted(result);
    return { table, segment, rows: result.rows, bytes: result.bytes, seconds: (performance.now() - started) / 1000, quarantined: result.quarantined };
  }

  /**
   * A sealed segment that is gone before its conversion cannot be converted, now or ever: drop it
   * (reported and counted) instead of retrying it forever while ingest waits.
   */
  private dropIfVanished(item: Waiting): boolean {
    if (fs.existsSync(item.segment.path)) return false;
    const rows = item.segment.rows >= 0 ? `${item.segment.rows} acknowledged rows` : 'its rows (left by an earlier run)';
    this.health.vanished(`WAL segment ${item.segment.path} was deleted before its conversion to Parquet; ${rows} are lost`);
    item.table.unqueued(item.segment);
    this.waiting.splice(this.waiting.indexOf(item), 1);
    return true;
  }
}

/**
 * When to seal a segment so its rows are in Parquet within flushMs of their acknowledgement:
 * late enough that conversions (each with a fixed cost) are few, early enough to leave room for
 * the conversion itself. The room is three times the slowest recent conversion, at least 500 ms,
 * and never less than half of flushMs. Recomputed after every conversion.
 */
export class SealTiming {
  sealAfterMs: number;
  private recentConvertMs = 0;

  constructor(private readonly flushMs: number) {
    this.sealAfterMs = Math.max(1, Math.floor(flushMs / 2));
  }

  converted(ms: number): void {
    this.recentConvertMs = Math.max(ms, this.recentConvertMs * 0.9);
    const room = Math.max(500, 3 * this.recentConvertMs);
    this.sealAfterMs = Math.max(Math.floor(this.flushMs / 2), Math.floor(this.flushMs - room));
  }
}
