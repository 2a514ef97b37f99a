/**
 * One table describes each OTLP signal; the acceptor, decoders and writer are generic over it.
 * Adding metrics later means adding a row here (and its table schema), not copying handlers.
 */
import { opentelemetry } from '../gen/otlp.js';
import { LOGS, SPANS, type TableSchema } from '../storage/schema.js';
import { logRow } from './logs.js';
import { spanRow } from './spans.js';
import type { Nesting, ValidateContext } from './validate.js';

const collector = opentelemetry.proto.collector;

export type BodyFormat = 'proto' | 'json';

export interface Signal {
  /** Index carried in batch ring records. */
  readonly index: number;
  readonly name: 'traces' | 'logs';
  readonly path: string;
  readonly table: TableSchema;
  readonly nesting: Nesting;
  /** Plural noun for messages ("spans", "log records"). */
  readonly noun: string;
  decodeProto(body: Uint8Array): unknown;
  rowOf(record: unknown, shared: string, ctx: ValidateContext): string;
  /** Export*ServiceResponse: empty, or partial_success when records were rejected. */
  encodeResponse(rejected: number, message: string, format: BodyFormat): Uint8Array | string;
}

interface ResponseCodec {
  encode(message: object): { finish(): Uint8Array };
}

/**
 * Encoder of an Export*ServiceResponse: `{}` / an empty message when nothing was rejected,
 * otherwise partial_success with the count under the signal's own field name.
 */
function responseEncoder(rejectedField: string, codec: ResponseCodec): Signal['encodeResponse'] {
  return (rejected, message, format) => {
    const body = rejected === 0 && message === ''
      ? {}
      : { partialSuccess: { [rejectedField]: format === 'json' ? String(rejected) : rejected, errorMessage: message } };
    // protobufjs encodes plain objects of the message's shape; int64 counts go as numbers there
    // and, per the protobuf JSON mapping, as strings in OTLP/JSON.
    return format === 'json' ? JSON.stringify(body) : codec.encode(body).finish();
  };
}

export const TRACES: Signal = {
  index: 0,
  name: 'traces',
  path: '/v1/traces',
  table: SPANS,
  nesting: { resources: 'resourceSpans', scopes: 'scopeSpans', records: 'spans' },
  noun: 'spans',
  decodeProto: (body) => collector.trace.v1.ExportTraceServiceRequest.decode(body),
  rowOf: spanRow,
  encodeResponse: responseEncoder('rejectedSpans', collector.trace.v1.ExportTraceServiceResponse),
};

export const LOGS_SIGNAL: Signal = {
  index: 1,
  name: 'logs',
  path: '/v1/logs',
  table: LOGS,
  nesting: { resources: 'resourceLogs', scopes: 'scopeLogs', records: 'logRecords' },
  noun: 'log records',
  decodeProto: (body) => collector.logs.v1.ExportLogsServiceRequest.decode(body),
  rowOf: logRow,
  encodeResponse: responseEncoder('rejectedLogRecords', collector.logs.v1.ExportLogsServiceResponse),
};

/** Indexed by Signal.index. */
export const SIGNALS: readonly Signal[] = [TRACES, LOGS_SIGNAL];

export function signalByPath(path: string): Signal | undefined {
  return SIGNALS.find((s) => s.path === path);
}
