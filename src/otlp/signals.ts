/**
 * One table describes each OTLP signal; the acceptor, decoders and writer are generic over it.
 * Metrics are the third row (and its table schema), not a copied handler.
 * How a body of either format becomes a request, and an answer a body, is codec.ts's job: a row
 * names only its signal's protobuf messages and its partial_success field.
 */
import { opentelemetry } from '../gen/otlp.js';
import { LOGS, METRICS, SPANS, type TableSchema } from '../storage/schema.js';
import { logRow } from './logs.js';
import { metricGroup, metricRecordCount } from './metrics.js';
import { spanRow } from './spans.js';
import type { RecordShape } from './validate.js';

const collector = opentelemetry.proto.collector;

/** The generated protobufjs classes of a signal's Export*ServiceRequest and Export*ServiceResponse. */
export interface SignalMessages {
  readonly request: { decode(body: Uint8Array): unknown };
  readonly response: { encode(message: object): { finish(): Uint8Array } };
}

export type Signal = RecordShape & SignalInfo;

interface SignalInfo {
  /** Index carried in batch ring records. */
  readonly index: number;
  readonly name: 'traces' | 'logs' | 'metrics';
  readonly path: string;
  readonly table: TableSchema;
  /** Plural noun for messages ("spans", "log records", "data points"). */
  readonly noun: string;
  readonly messages: SignalMessages;
  /** The partial_success field that counts rejected records (lowerCamelCase, as both codecs spell it). */
  readonly rejectedField: string;
}

export const TRACES: Signal = {
  index: 0,
  name: 'traces',
  path: '/v1/traces',
  table: SPANS,
  nesting: { resources: 'resourceSpans', scopes: 'scopeSpans', records: 'spans' },
  noun: 'spans',
  messages: { request: collector.trace.v1.ExportTraceServiceRequest, response: collector.trace.v1.ExportTraceServiceResponse },
  rejectedField: 'rejectedSpans',
  rowOf: spanRow,
};

export const LOGS_SIGNAL: Signal = {
  index: 1,
  name: 'logs',
  path: '/v1/logs',
  table: LOGS,
  nesting: { resources: 'resourceLogs', scopes: 'scopeLogs', records: 'logRecords' },
  noun: 'log records',
  messages: { request: collector.logs.v1.ExportLogsServiceRequest, response: collector.logs.v1.ExportLogsServiceResponse },
  rejectedField: 'rejectedLogRecords',
  rowOf: logRow,
};

export const METRICS_SIGNAL: Signal = {
  index: 2,
  name: 'metrics',
  path: '/v1/metrics',
  table: METRICS,
  // Each metric is a group: its data points, one row each, sit under its one data field.
  nesting: { resources: 'resourceMetrics', scopes: 'scopeMetrics', records: 'metrics' },
  noun: 'data points',
  messages: { request: collector.metrics.v1.ExportMetricsServiceRequest, response: collector.metrics.v1.ExportMetricsServiceResponse },
  rejectedField: 'rejectedDataPoints',
  groupOf: metricGroup,
  countOf: metricRecordCount,
};

/** Indexed by Signal.index. */
export const SIGNALS: readonly Signal[] = [TRACES, LOGS_SIGNAL, METRICS_SIGNAL];
