/**
 * One table as the writer keeps it: its write-ahead log and the figures the writer reports
 * (WriterStats, shown in /metrics), kept up to date as rows are appended, segments sealed and
 * converted, and files compacted or deleted, instead of scanning the disk every second.
 */
import type { CompactResult } from '../storage/compact.js';
import type { DataLayout } from '../storage/layout.js';
import { type ConvertResult, scanParquet } from '../storage/parquet.js';
import type { TableSchema } from '../storage/schema.js';
import type { Segment, Wal } from '../storage/wal.js';
import type { TableStats } from '../threads/protocol.js';

export class TableState {
  /** Rows and bytes appended to the WAL since start. */
  private walRows = 0;
  private walBytes = 0;
  /** Rows and bytes written to Parquet since start. */
  private parquetRows = 0;
  private parquetBytesWritten = 0;
  /** Parquet files and bytes on disk, from a scan at start plus what this run changed. */
  private parquetFiles = 0;
  private parquetBytes = 0;
  /** Rows and bytes in sealed segments not yet converted. */
  private pendingRows = 0;
  private pendingBytes = 0;

  constructor(
    readonly schema: TableSchema,
    readonly wal: Wal,
    private readonly layout: DataLayout,
  ) {}

  /**
   * Count the table's Parquet files on disk (at start, and after compaction's recovery changed
   * them). Returns the highest sequence number among them (-1 when none).
   */
  rescan(): number {
    const onDisk = scanParquet(this.layout.areaDir(this.schema.name));
    this.parquetFiles = onDisk.files;
    this.parquetBytes = onDisk.bytes;
    return onDisk.maxSeq;
  }

  appended(rows: number, bytes: number): void {
    this.walRows += rows;
    this.walBytes += bytes;
  }

  /** A sealed segment joined the conversion queue (rows -1: left by an earlier run). */
  queued(segment: Segment): void {
    this.pendingRows += Math.max(0, segment.rows);
    this.pendingBytes += segment.bytes;
  }

  /** A segment left the conversion queue: converted, or vanished. */
  unqueued(segment: Segment): void {
    this.pendingRows -= Math.max(0, segment.rows);
    this.pendingBytes -= segment.bytes;
  }

  converted(result: ConvertResult): void {
    this.parquetRows += result.rows;
    this.parquetFiles += result.bytes > 0 ? 1 : 0;
    this.parquetBytes += result.bytes;
    this.parquetBytesWritten += result.bytes;
  }

  compacted(result: CompactResult): void {
    this.parquetFiles += 1 - result.inputFiles;
    this.parquetBytes += result.bytes - result.inputBytes;
  }

  /** Retention deleted some of the table's files. */
  deleted(files: number, bytes: number): void {
    this.parquetFiles -= files;
    this.parquetBytes -= bytes;
  }

  stats(pendingSegments: number): TableStats {
    const active = this.wal.activeTotals();
    return {
      walRows: this.walRows,
      walBytes: this.walBytes,
      walBytesOnDisk: active.bytes + this.pendingBytes,
      parquetRows: this.parquetRows,
      parquetBytesWritten: this.parquetBytesWritten,
      parquetFiles: this.parquetFiles,
      parquetBytes: this.parquetBytes,
      pendingSegments,
      lagRows: active.rows + this.pendingRows,
    };
  }
}
