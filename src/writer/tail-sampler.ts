/**
 * Live tail on the writer's side: while the acceptor says someone watches, the rows of each
 * acknowledged group are forwarded, at most TAIL_ROWS_PER_SECOND per table (the rest are counted
 * as skipped), so a tail never costs more than a bounded amount whatever the ingest rate.
 *
 *   collect (each appended batch) ──▶ current ──take() when the group's fdatasync starts──▶
 *   the group's TailPart ──flush() once that fdatasync ended──▶ 'tail' event
 *
 * Rows are collected as they are appended, but a group's rows are sent only after its own sync:
 * the commit is pipelined (src/writer/writer.ts), so rows appended while the previous group's
 * fdatasync runs belong to the next group, and must not ride out with the previous one's
 * acknowledgement before they are durable.
 */
import { TAIL_ROWS_PER_SECOND, type WriterEvent } from '../threads/protocol.js';

/** What one group gave the tail: rows and skipped counts by signal index. */
export interface TailPart {
  readonly rows: readonly string[][];
  readonly skipped: readonly number[];
}

export class TailSampler {
  private watching = false;
  private windowStart = 0;
  private readonly sent: number[];
  private readonly rows: string[][];
  private readonly skipped: number[];

  /** `tables`: table names by signal index (the batch ring's `signal`). */
  constructor(
    private readonly tables: readonly string[],
    private readonly send: (event: WriterEvent) => void,
  ) {
    this.sent = tables.map(() => 0);
    this.rows = tables.map(() => []);
    this.skipped = tables.map(() => 0);
  }

  /** Someone watches (WriterCommand 'tail'). */
  get on(): boolean {
    return this.watching;
  }

  /** Switched off, what was collected is dropped: the next watcher must not get stale rows first. */
  set on(on: boolean) {
    if (!on) this.discard();
    this.watching = on;
  }

  /** Take up to the budget's rows of one batch (WAL rows, one per line). */
  collect(signal: number, payload: Uint8Array, rows: number): void {
    const budget = TAIL_ROWS_PER_SECOND - this.sent[signal]!;
    if (budget <= 0) {
      this.skipped[signal]! += rows;
      return;
    }
    const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    let start = 0;
    let taken = 0;
    while (taken < budget) {
      const nl = text.indexOf(0x0a, start);
      if (nl < 0) break;
      this.rows[signal]!.push(text.toString('utf8', start, nl));
      start = nl + 1;
      taken++;
    }
    this.sent[signal]! += taken;
    this.skipped[signal]! += rows - taken;
  }

  /** The rows not yet synced were not stored after all (a failed write or fsync): forget them. */
  discard(): void {
    for (const rows of this.rows) rows.length = 0;
    this.skipped.fill(0);
  }

  /** What was collected since the last take: the group whose fdatasync starts now. */
  take(): TailPart {
    const part = { rows: this.rows.map((r) => r.splice(0)), skipped: [...this.skipped] };
    this.skipped.fill(0);
    return part;
  }

  /** Send what an acknowledged group gave (its take()), per table. */
  flush(part: TailPart | null, now: number): void {
    this.tables.forEach((table, i) => {
      const rows = part?.rows[i] ?? [];
      const skipped = part?.skipped[i] ?? 0;
      if (rows.length > 0 || skipped > 0) this.send({ type: 'tail', table, rows, skipped });
    });
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.sent.fill(0);
    }
  }
}
