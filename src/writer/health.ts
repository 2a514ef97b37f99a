/**
 * What the writer tells the operator about storage. Everything goes to the main thread as a
 * WriterEvent, which prints it (a worker's own console output can be lost when the process exits
 * right after), and every failure carries its code (docs/errors.md):
 *
 *   failing / recovered   a stage fails (WAL appends and fsyncs, or Parquet conversion), sent when
 *                         the first failure appears, again when its reason changes, and once when
 *                         the last clears; the acceptor answers 503 meanwhile
 *                         (GLUST_ERR_WRITER_FAILED)
 *   warning               a failure that does not stop ingest: a file that vanished, a failed
 *                         compaction step or retention sweep, a quarantined segment
 */
import type { ErrorCode } from '../errors.js';
import type { WriterEvent } from '../threads/protocol.js';

export type FailingStage = 'wal' | 'convert';

export class StorageHealth {
  private readonly failures: Record<FailingStage, string | null> = { wal: null, convert: null };
  /** Files the writer expected and found deleted by someone else. */
  vanishedFiles = 0;

  constructor(private readonly send: (event: WriterEvent) => void) {}

  fail(stage: FailingStage, message: string): void {
    this.set(stage, message);
  }

  clear(stage: FailingStage): void {
    this.set(stage, null);
  }

  warn(code: ErrorCode, message: string): void {
    this.send({ type: 'warning', code, message });
  }

  /**
   * A file the writer owns vanished (deleted by hand or by another program): say what, count it,
   * and go on with the rest — never wedge on it (issue 9).
   */
  vanished(message: string): void {
    this.vanishedFiles++;
    this.warn('GLUST_ERR_STORAGE_FILE_VANISHED', message);
  }

  private set(stage: FailingStage, message: string | null): void {
    if (this.failures[stage] === message) return;
    this.failures[stage] = message;
    const reason = this.failures.wal ?? this.failures.convert;
    if (reason !== null) this.send({ type: 'failing', message: reason, walFailing: this.failures.wal !== null });
    else this.send({ type: 'recovered' });
  }
}
