/**
 * The shape of a decoded OTLP export request, as the validate stage reads it.
 *
 * Both decoders produce this shape: protobufjs static code (ids as bytes, 64-bit values as Long)
 * and JSON.parse of OTLP/JSON (ids as hex strings, 64-bit values as strings or numbers, enums as
 * integers or names), because OTLP/JSON uses the same lowerCamelCase field names protobufjs does.
 * JSON input is untrusted in type as well as value, so every field is `unknown`-ish here and the
 * validate stage checks each type it reads.
 */

/** A 64-bit integer as protobufjs gives it (long.js Long) or as OTLP/JSON may send it. */
export interface LongLike {
  low: number;
  high: number;
}
export type Int64In = LongLike | number | string | null | undefined;

/** Bytes from protobuf, or hex (ids) / base64 (AnyValue bytes) text from OTLP/JSON. */
export type BytesIn = Uint8Array | string | null | undefined;

export interface AnyValueIn {
  stringValue?: unknown;
  boolValue?: unknown;
  intValue?: unknown;
  doubleValue?: unknown;
  arrayValue?: { values?: unknown } | null;
  kvlistValue?: { values?: unknown } | null;
  bytesValue?: unknown;
}

export interface KeyValueIn {
  key?: unknown;
  value?: AnyValueIn | null;
}

export interface ResourceIn {
  attributes?: unknown;
  droppedAttributesCount?: unknown;
}

export interface ScopeIn {
  name?: unknown;
  version?: unknown;
  attributes?: unknown;
  droppedAttributesCount?: unknown;
}

export interface SpanEventIn {
  timeUnixNano?: Int64In;
  name?: unknown;
  attributes?: unknown;
  droppedAttributesCount?: unknown;
}

export interface SpanLinkIn {
  traceId?: BytesIn;
  spanId?: BytesIn;
  traceState?: unknown;
  attributes?: unknown;
  droppedAttributesCount?: unknown;
  flags?: unknown;
}

export interface SpanIn {
  traceId?: BytesIn;
  spanId?: BytesIn;
  traceState?: unknown;
  parentSpanId?: BytesIn;
  flags?: unknown;
  name?: unknown;
  kind?: unknown;
  startTimeUnixNano?: Int64In;
  endTimeUnixNano?: Int64In;
  attributes?: unknown;
  droppedAttributesCount?: unknown;
  events?: unknown;
  droppedEventsCount?: unknown;
  links?: unknown;
  droppedLinksCount?: unknown;
  status?: { message?: unknown; code?: unknown } | null;
}

export interface LogRecordIn {
  timeUnixNano?: Int64In;
  observedTimeUnixNano?: Int64In;
  severityNumber?: unknown;
  severityText?: unknown;
  body?: AnyValueIn | null;
  attributes?: unknown;
  droppedAttributesCount?: unknown;
  flags?: unknown;
  traceId?: BytesIn;
  spanId?: BytesIn;
  eventName?: unknown;
}

/** An exemplar: a measurement kept beside a metric point, often with the trace it came from. */
export interface ExemplarIn {
  filteredAttributes?: unknown;
  timeUnixNano?: Int64In;
  asDouble?: unknown;
  asInt?: unknown;
  spanId?: BytesIn;
  traceId?: BytesIn;
}

/** The fields every data point type has (Summary points have no exemplars). */
export interface PointIn {
  attributes?: unknown;
  startTimeUnixNano?: Int64In;
  timeUnixNano?: Int64In;
  flags?: unknown;
  exemplars?: unknown;
}

/** A Gauge or Sum point: as_double or as_int (a oneof). */
export interface NumberPointIn extends PointIn {
  asDouble?: unknown;
  asInt?: unknown;
}

export interface HistogramPointIn extends PointIn {
  count?: unknown;
  sum?: unknown;
  bucketCounts?: unknown;
  explicitBounds?: unknown;
  min?: unknown;
  max?: unknown;
}

export interface BucketsIn {
  offset?: unknown;
  bucketCounts?: unknown;
}

export interface ExponentialHistogramPointIn extends PointIn {
  count?: unknown;
  sum?: unknown;
  scale?: unknown;
  zeroCount?: unknown;
  positive?: BucketsIn | null;
  negative?: BucketsIn | null;
  min?: unknown;
  max?: unknown;
}

export interface SummaryPointIn extends PointIn {
  count?: unknown;
  sum?: unknown;
  quantileValues?: unknown;
}

/** One of the five data fields of a Metric (a oneof): its points and, for some, temporality. */
export interface MetricDataIn {
  dataPoints?: unknown;
  aggregationTemporality?: unknown;
  isMonotonic?: unknown;
}

export interface MetricIn {
  name?: unknown;
  description?: unknown;
  unit?: unknown;
  gauge?: MetricDataIn | null;
  sum?: MetricDataIn | null;
  histogram?: MetricDataIn | null;
  exponentialHistogram?: MetricDataIn | null;
  summary?: MetricDataIn | null;
}
