/**
 * Answers of the picture views of issue 15 (duration scatter, log volume), as JSON; the same
 * conventions as src/view/records.ts: 64-bit values (unix-ns times, durations) as decimal strings.
 * Pure types, shared by the API and the web UI.
 */

/** Severity bands of a log record: OpenTelemetry's six ranges of four numbers, and 0 (unset). */
export const SEVERITY_BANDS = ['UNSET', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type SeverityBand = (typeof SEVERITY_BANDS)[number];

/** One trace of the scatter. */
export interface ScatterPoint {
  trace_id: string;
  /** First start among the trace's spans in the window, unix ns. */
  start_time: string;
  /** Last end minus first start of those spans, ns. */
  duration_ns: string;
  /** Any of those spans has status ERROR. */
  error: boolean;
}

/** GET /api/traces/scatter */
export interface TraceScatterResponse {
  /** The newest `limit` matching traces at most, newest first. */
  points: ScatterPoint[];
  /** How many traces match in all (more than `points.length` when the bound was hit). */
  matched: number;
  limit: number;
}

/** One time bucket of the log volume: records per severity band (bands with none left out). */
export interface VolumeBucket {
  /** Start of the bucket, unix ns. */
  time: string;
  counts: Partial<Record<SeverityBand, number>>;
}

/** GET /api/logs/volume */
export interface LogVolumeResponse {
  /** The window and the bucket width, unix ns / ns. Buckets start at `start` + k·`step`. */
  start: string;
  end: string;
  step: string;
  /** The buckets holding any record, oldest first. */
  buckets: VolumeBucket[];
  total: number;
}
