/**
 * Build OTLP export requests with the project's generated protobuf code, for tests and benches
 * that need exact control over every field (including invalid ones the SDKs never send).
 */
import crypto from 'node:crypto';
import { google, opentelemetry } from '../../dist/gen/otlp.js';

const T = opentelemetry.proto.collector.trace.v1;
const L = opentelemetry.proto.collector.logs.v1;

export const nowNs = () => BigInt(Date.now()) * 1_000_000n;

export interface SpanSpec {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  parentSpanId?: Uint8Array;
  name?: string;
  start?: bigint;
  end?: bigint;
  attributes?: Record<string, string | number>;
}

export const randomTraceId = () => crypto.randomBytes(16);
export const randomSpanId = () => crypto.randomBytes(8);
export const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function kv(attrs: Record<string, string | number> = {}) {
  return Object.entries(attrs).map(([key, v]) => ({
    key,
    value: typeof v === 'number' ? (Number.isInteger(v) ? { intValue: v } : { doubleValue: v }) : { stringValue: v },
  }));
}

export function spansRequest(spans: SpanSpec[], service = 'test-svc'): Uint8Array {
  const start = nowNs();
  return T.ExportTraceServiceRequest.encode({
    resourceSpans: [{
      resource: { attributes: kv({ 'service.name': service }) },
      scopeSpans: [{
        scope: { name: 'test', version: '1' },
        spans: spans.map((s, i) => ({
          traceId: s.traceId ?? randomTraceId(),
          spanId: s.spanId ?? randomSpanId(),
          parentSpanId: s.parentSpanId,
          name: s.name ?? `span-${i}`,
          kind: 2,
          // protobufjs writes a 64-bit field from a decimal string exactly (a BigInt would be 0).
          startTimeUnixNano: String(s.start ?? start) as never,
          endTimeUnixNano: String(s.end ?? (s.start ?? start) + 1000n) as never,
          attributes: kv(s.attributes),
        })),
      }],
    }],
  }).finish();
}

export interface LogSpec {
  time?: bigint;
  observed?: bigint;
  body?: string;
  severity?: number;
  severityText?: string;
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  flags?: number;
  attributes?: Record<string, string | number>;
}

export function logsRequest(logs: LogSpec[], service = 'test-svc'): Uint8Array {
  return L.ExportLogsServiceRequest.encode({
    resourceLogs: [{
      resource: { attributes: kv({ 'service.name': service }) },
      scopeLogs: [{
        scope: { name: 'test' },
        logRecords: logs.map((l) => ({
          timeUnixNano: l.time === undefined ? undefined : (String(l.time) as never),
          observedTimeUnixNano: l.observed === undefined ? undefined : (String(l.observed) as never),
          severityNumber: l.severity ?? 9,
          severityText: l.severityText,
          body: l.body === undefined ? undefined : { stringValue: l.body },
          traceId: l.traceId,
          spanId: l.spanId,
          flags: l.flags,
          attributes: kv(l.attributes),
        })),
      }],
    }],
  }).finish();
}

export function decodeStatus(body: Uint8Array) {
  return google.rpc.Status.decode(body);
}

export function decodeTraceResponse(body: Uint8Array) {
  return T.ExportTraceServiceResponse.decode(body);
}

export function decodeLogsResponse(body: Uint8Array) {
  return L.ExportLogsServiceResponse.decode(body);
}

export const PROTO = { 'Content-Type': 'application/x-protobuf' };
export const JSON_CT = { 'Content-Type': 'application/json' };
