/**
 * Live tail on the writer's side: while the acceptor says someone watches, the rows of each
 * acknowledged group are forwarded, at most TAIL_ROWS_PER_SECOND per table (the rest are counted
 * as skipped), so a tail never costs more than a bounded amount whatever the ingest rate.
 */
import { TAIL_ROWS_PER_SECOND, type WriterEvent } from '../threads/protocol.js';

export class TailSampler {
  /** Someone watches (WriterCommand 'tail'). */
  on = false;
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

  /** The group was not stored after all (a failed write): forget what it gave. */
  discard(): void {
    for (const rows of this.rows) rows.length = 0;
  }

  /** Send what the acknowledged group gave, per table. */
  flush(now: number): void {
    this.tables.forEach((table, i) => {
      if (this.rows[i]!.length > 0 || this.skipped[i]! > 0) {
        this.send({ type: 'tail', table, rows: this.rows[i]!, skipped: this.skipped[i]! });
        this.rows[i] = [];
        this.skipped[i] = 0;
      }
    });
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.sent.fill(0);
    }
  }
}
