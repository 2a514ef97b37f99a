/**
 * What the read side answers, as JSON: the HTTP API, the CLI and the web UI share these shapes
 * (the UI imports them as types only). Field names are the storage columns of the README;
 * 64-bit values (unix-nanosecond times, durations) are decimal strings, because a JSON number
 * loses precision past 2^53; maps are objects.
 */

export type Attributes = Record<string, string>;

export interface SpanEvent {
  time: string;
  name: string;
  attributes: Attributes;
}

export interface SpanLink {
  trace_id: string;
  span_id: string;
  trace_state: string;
  attributes: Attributes;
}

/** Every stored field of a span. */
export interface SpanRecord {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  trace_state: string;
  flags: number;
  name: string;
  kind: string;
  start_time: string;
  end_time: string;
  duration_ns: string;
  status_code: 'UNSET' | 'OK' | 'ERROR';
  status_message: string;
  service_name: string;
  attributes: Attributes;
  resource_attributes: Attributes;
  scope_name: string;
  scope_version: string;
  events: SpanEvent[];
  links: SpanLink[];
  dropped_attributes_count: number;
  dropped_events_count: number;
  dropped_links_count: number;
}

/** Every stored field of a log record. */
export interface LogRecord {
  time: string | null;
  observed_time: string | null;
  trace_id: string | null;
  span_id: string | null;
  flags: number;
  severity_number: number;
  severity_text: string;
  body: string | null;
  event_name: string;
  service_name: string;
  attributes: Attributes;
  resource_attributes: Attributes;
  scope_name: string;
  scope_version: string;
  dropped_attributes_count: number;
  /** xxh3-64 of the record as a decimal string (the dedup key); null in rows from before it existed. */
  record_hash: string | null;
}

export interface ServiceSummary {
  service_name: string;
  spans: number;
  logs: number;
  /** Metric data points. */
  points: number;
  /** First and last record time seen in the window (spans, logs and points), unix ns. */
  first_seen: string;
  last_seen: string;
}

export interface TraceSummary {
  trace_id: string;
  root_service: string;
  root_name: string;
  start_time: string;
  duration_ns: string;
  span_count: number;
  error_count: number;
  services: string[];
}

/** GET /api/services */
export interface ServicesResponse {
  services: ServiceSummary[];
}

/** GET /api/traces */
export interface TracesResponse {
  traces: TraceSummary[];
  /** The limit applied (after capping). */
  limit: number;
}

/** GET /api/traces/:traceId — spans ordered by start time. */
export interface TraceResponse {
  trace_id: string;
  spans: SpanRecord[];
}

/** GET /api/logs */
export interface LogsResponse {
  logs: LogRecord[];
  limit: number;
}

/** One Server-Sent Event of GET /api/tail (the default `message` event). */
export interface TailBatch {
  signal: 'spans' | 'logs';
  records: SpanRecord[] | LogRecord[];
  /**
   * Records acknowledged since the last batch but not forwarded: the writer forwards at most
   * 1000 per table per second, and this client's filter is not applied to the count.
   */
  skipped: number;
}

/** The `dropped` event sent to a tail client that read too slowly, before it is disconnected. */
export interface TailDropped {
  reason: string;
}
