/**
 * Record-level rejections: the validate stage drops a bad span, log record or metric data point, counts it under a
 * reason code, and the acceptor reports the count and a summary in `partial_success`.
 * Reason codes are listed in docs/errors.md beside the request-level error codes.
 */

export const REJECT_REASONS = {
  GLUST_REJECT_TRACE_ID: 'trace_id must be 16 bytes (32 hex digits) and not all zero',
  GLUST_REJECT_SPAN_ID: 'span_id must be 8 bytes (16 hex digits) and not all zero',
  GLUST_REJECT_PARENT_SPAN_ID: 'parent_span_id must be empty or 8 bytes (16 hex digits)',
  GLUST_REJECT_LINK_ID: 'a link needs a valid trace_id (16 bytes) and span_id (8 bytes)',
  GLUST_REJECT_START_TIME: 'start_time_unix_nano is missing',
  GLUST_REJECT_END_BEFORE_START: 'end_time_unix_nano is before start_time_unix_nano',
  GLUST_REJECT_TIME_RANGE: 'a timestamp is not an unsigned integer below 2^63 ns (year 2262)',
  GLUST_REJECT_LOG_TIME: 'a log record needs time_unix_nano or observed_time_unix_nano',
  GLUST_REJECT_LOG_IDS: 'log trace_id must be empty or 16 bytes, span_id empty or 8 bytes',
  GLUST_REJECT_FIELD_TYPE: 'a field has the wrong JSON type',
  GLUST_REJECT_NESTING: 'an attribute or body value is nested more than 32 levels deep',
  GLUST_REJECT_TOO_LARGE: 'the record is larger than the row limit even after attribute limits',
  GLUST_REJECT_METRIC_NAME: 'a metric needs a name',
  GLUST_REJECT_METRIC_TYPE: 'a metric needs exactly one data type: gauge, sum, histogram, exponentialHistogram or summary',
  GLUST_REJECT_POINT_TIME: 'a data point needs time_unix_nano',
  GLUST_REJECT_POINT_VALUE: 'a gauge or sum data point needs as_double or as_int (unless flagged as having no recorded value)',
  GLUST_REJECT_BUCKET_COUNTS: 'bucket_counts must be empty or have one entry more than explicit_bounds',
  GLUST_REJECT_NEGATIVE_COUNT: 'a count is negative',
  GLUST_REJECT_COUNT_NOT_INTEGER: 'a count is NaN or not an unsigned 64-bit integer',
  GLUST_REJECT_EXEMPLAR_IDS: 'exemplar trace_id must be empty or 16 bytes, span_id empty or 8 bytes',
} as const;

export type RejectCode = keyof typeof REJECT_REASONS;

/** Thrown inside the validate stage for one record; caught by the loop over records. */
export class RecordRejected extends Error {
  constructor(
    readonly reason: RejectCode,
    detail?: string,
  ) {
    super(detail ? `${REJECT_REASONS[reason]} (${detail})` : REJECT_REASONS[reason]);
  }
}

interface ReasonTally {
  count: number;
  first: string;
  message: string;
}

/** Counts rejections of one request by reason, remembering where each reason first occurred. */
export class Rejections {
  total = 0;
  private readonly byReason = new Map<RejectCode, ReasonTally>();

  add(err: RecordRejected, where: string): void {
    this.total++;
    const tally = this.byReason.get(err.reason);
    if (tally) tally.count++;
    else this.byReason.set(err.reason, { count: 1, first: where, message: err.message });
  }

  /** Counts by reason code, for metrics. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [code, t] of this.byReason) out[code] = t.count;
    return out;
  }

  /** The `partial_success.error_message`: how many were dropped and why, with the first place of each. */
  summary(noun: string): string {
    if (this.total === 0) return '';
    const parts: string[] = [];
    for (const [code, t] of this.byReason) {
      parts.push(`${t.count} ${code}: ${t.message}, first at ${t.first}`);
    }
    return `${this.total} ${noun} rejected: ${parts.join('; ')}`;
  }
}
