/**
 * Every message that crosses a thread boundary, in one place.
 *
 *   acceptor ──DecodeTask (piscina)──▶ decode worker      body bytes stay in the body ring
 *   acceptor ◀──DecodeResult───────── decode worker      rows went to the batch ring
 *   acceptor ──WriterCommand────────▶ writer             via the writer's parentPort
 *   acceptor ◀──WriterEvent────────── writer             acks after fsync, state, stats
 */
import type { ErrorCode } from '../errors.js';
import type { BodyFormat } from '../otlp/codec.js';
import type { BodyEncoding } from '../otlp/decompress.js';
import type { Limits } from '../otlp/limits.js';
import type { BodyRef } from '../ring/body-ring.js';
import type { RetentionPolicy, SweepReport } from '../storage/retention.js';

/** What every decode worker gets once, at start (piscina workerData). */
export interface DecodeWorkerData {
  readonly bodyRing: SharedArrayBuffer;
  readonly batchRing: SharedArrayBuffer;
  readonly limits: Limits;
  /** Largest decompressed body. */
  readonly maxBodyBytes: number;
  /** How long a decoder waits for room in the batch ring before answering "writer behind". */
  readonly writerWaitMs: number;
}

export interface DecodeTask {
  readonly requestId: number;
  readonly signal: number;
  readonly format: BodyFormat;
  readonly encoding: BodyEncoding;
  readonly body: BodyRef;
}

export interface DecodeStats {
  /** Rejections by reason code. */
  readonly rejectedByReason: Record<string, number>;
  readonly truncatedValues: number;
  readonly droppedAttributes: number;
  /** Bytes after decompression. */
  readonly decodedBytes: number;
}

/**
 * The task's result. `startedAt`: when a decoder took the task, as performance.timeOrigin +
 * performance.now() (ms since the epoch, comparable between threads): the acceptor learns from
 * it how long the task waited in the decode queue.
 */
export type DecodeResult = (
  | {
      readonly ok: true;
      readonly accepted: number;
      readonly rejected: number;
      /** partial_success.error_message, '' when nothing was rejected. */
      readonly message: string;
      /** Batches published to the writer; the last carries BatchFlags.LAST. 0 when nothing was accepted. */
      readonly batches: number;
      readonly stats: DecodeStats;
    }
  | {
      readonly ok: false;
      readonly code: ErrorCode;
      readonly message: string;
      /** Batches already published before the failure (they will be stored, but not acknowledged). */
      readonly batches: number;
    }
) & { readonly startedAt: number };

/** What the writer thread gets at start (worker_threads workerData). */
export interface WriterWorkerData {
  readonly batchRing: SharedArrayBuffer;
  /** The queries' read leases: deletions wait for them (src/storage/read-leases.ts). */
  readonly readLeases: SharedArrayBuffer;
  readonly dataDir: string;
  readonly flushMs: number;
  readonly segmentBytes: number;
  readonly maxPendingSegments: number;
  readonly duckdbThreads: number;
  readonly duckdbMemoryLimit: string;
  /** Enforced by the writer at start and periodically (src/storage/retention.ts). */
  readonly retention: RetentionPolicy;
  /** Compaction: run steps while a day is open, compaction once it is closed (src/storage/compact.ts); null when switched off. */
  readonly compact: { readonly afterMs: number; readonly targetBytes: number } | null;
}

export type WriterCommand =
  /** Drain the ring (no producer is left), seal and convert every segment, then exit. */
  | { readonly type: 'close' }
  /**
   * Give up the graceful stop (a second signal, or the shutdown deadline passed): start no more
   * DuckDB work, interrupt what runs, close DuckDB and exit. The WAL keeps what was not converted.
   * The process must not exit while DuckDB works on this thread: that aborts natively.
   */
  | { readonly type: 'abort' }
  /** Start or stop forwarding acknowledged rows for live tail (someone is watching, or not). */
  | { readonly type: 'tail'; readonly on: boolean };

/** Rows forwarded per table per second at most for live tail: a sample under heavy load. */
export const TAIL_ROWS_PER_SECOND = 1000;

export interface TableStats {
  /** Rows and bytes appended to the WAL since start. */
  readonly walRows: number;
  readonly walBytes: number;
  /** Bytes of WAL segments on disk now (active and sealed, not yet converted). */
  readonly walBytesOnDisk: number;
  /** Rows and bytes written to Parquet since start. */
  readonly parquetRows: number;
  readonly parquetBytesWritten: number;
  /** Parquet files and bytes on disk now (what earlier runs left included). */
  readonly parquetFiles: number;
  readonly parquetBytes: number;
  readonly pendingSegments: number;
  /** Rows acknowledged and not yet in Parquet. */
  readonly lagRows: number;
}

export interface WriterStats {
  readonly tables: Record<string, TableStats>;
  readonly fsyncs: number;
  /** Files the writer expected and found deleted by someone else (GLUST_ERR_STORAGE_FILE_VANISHED). */
  readonly vanishedFiles: number;
  /** Segment conversions finished since the previous stats message. */
  readonly conversions: ReadonlyArray<{ readonly table: string; readonly seconds: number; readonly rows: number; readonly bytes: number }>;
  /** Compaction steps finished since the previous stats message (src/storage/compact.ts). */
  readonly compactions: ReadonlyArray<{ readonly table: string; readonly kind: 'run' | 'compacted'; readonly seconds: number; readonly rows: number; readonly inputFiles: number }>;
}

export type WriterEvent =
  | { readonly type: 'ready'; readonly recoveredRows: number; readonly recoveredSegments: number }
  /** These requests' last batches are durable (fsynced to the WAL). */
  | { readonly type: 'acked'; readonly requestIds: number[] }
  /**
   * Storage fails (sent again whenever the reason changes); the writer keeps the data in the ring
   * and retries. `walFailing`: WAL appends or fsyncs fail, so nothing can be acknowledged until
   * they succeed again (otherwise only Parquet conversion fails).
   */
  | { readonly type: 'failing'; readonly message: string; readonly walFailing: boolean }
  | { readonly type: 'recovered' }
  /**
   * Something an operator must hear about that does not stop the writer; the main thread prints
   * it (a worker's own console output can be lost when the process exits right after).
   */
  | { readonly type: 'warning'; readonly code: ErrorCode; readonly message: string }
  | { readonly type: 'stats'; readonly stats: WriterStats }
  /** A retention sweep ran (at start, periodically, or because storage passed --max-bytes). */
  | { readonly type: 'retention'; readonly report: SweepReport }
  /** Acknowledged rows (WAL row JSON, see src/storage/schema.ts) for live tail, when it is on. */
  | { readonly type: 'tail'; readonly table: string; readonly rows: string[]; readonly skipped: number }
  | { readonly type: 'closed' };
