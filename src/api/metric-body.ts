/**
 * The body of POST /api/metrics — `{"metric_name": "cpu_usage", "value": 75.5}`, with optional
 * `time` (RFC 3339 or unix nanoseconds), `attributes` (an object of strings) and `service` —
 * checked field by field (a 400 names the field) and turned into an OTLP
 * ExportMetricsServiceRequest with one gauge point, in protobuf, so that it travels the pipeline
 * as any exported body does: the same validation, WAL, acknowledgement and Parquet.
 */
import { GlustError } from '../errors.js';
import { opentelemetry } from '../gen/otlp.js';
import { parseTime } from '../query/time.js';

const Request = opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;

/** The scope points recorded through the API are stored under (scope_name). */
export const API_SCOPE = 'glust.api';
const DEFAULT_SERVICE = 'unknown_service';
const FIELDS = new Set(['metric_name', 'value', 'time', 'attributes', 'service']);
const MAX_NAME = 1024;

export interface MetricPoint {
  readonly metricName: string;
  readonly value: number;
  readonly timeNs: bigint;
  readonly service: string;
  readonly attributes: Readonly<Record<string, string>>;
  /** The point as an OTLP protobuf export request. */
  readonly body: Uint8Array;
}

function invalid(field: string, message: string): never {
  throw new GlustError('GLUST_ERR_API_BODY', `field '${field}': ${message}`);
}

function text(v: unknown, field: string): string {
  if (typeof v !== 'string') invalid(field, `must be a string, not ${v === null ? 'null' : typeof v}`);
  if (v.length === 0) invalid(field, 'must not be empty');
  if (v.length > MAX_NAME) invalid(field, `longer than ${MAX_NAME} characters`);
  return v;
}

/**
 * Points recorded without a time get the clock's time, made strictly increasing: two points of
 * one series with the same time and value would be the same record (its record_hash), and
 * readers would keep one of them.
 */
let lastDefaultNs = 0n;
function defaultTime(): bigint {
  const now = BigInt(Date.now()) * 1_000_000n;
  lastDefaultNs = now > lastDefaultNs ? now : lastDefaultNs + 1n;
  return lastDefaultNs;
}

function readTimeField(v: unknown): bigint {
  if (v === undefined || v === null) return defaultTime();
  if (typeof v === 'number') {
    // A JSON number past 2^53 arrived rounded; a string keeps every digit.
    if (!Number.isInteger(v) || v <= 0) invalid('time', `${v} is not unix nanoseconds`);
    return BigInt(v);
  }
  if (typeof v !== 'string') invalid('time', 'must be an RFC 3339 time or unix nanoseconds');
  const ns = parseTime(v);
  if (ns === null || ns === 0n) invalid('time', `'${v.slice(0, 64)}' is not an RFC 3339 time (2026-11-22T10:00:00Z) or unix nanoseconds`);
  return ns;
}

function readAttributes(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) invalid('attributes', 'must be an object of strings');
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') invalid(`attributes.${k.slice(0, 64)}`, `must be a string, not ${x === null ? 'null' : typeof x}`);
    out[k] = x;
  }
  return out;
}

/** Parse and check a POST /api/metrics body. Throws GLUST_ERR_API_BODY naming the field. */
export function parseMetricBody(body: Uint8Array): MetricPoint {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new GlustError('GLUST_ERR_API_BODY', `not JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new GlustError('GLUST_ERR_API_BODY', 'must be a JSON object such as {"metric_name": "cpu_usage", "value": 75.5}');
  }
  const o = parsed as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FIELDS.has(k)) invalid(k.slice(0, 64), `unknown field (the fields are ${[...FIELDS].join(', ')})`);
  if (o.metric_name === undefined) invalid('metric_name', 'missing');
  const metricName = text(o.metric_name, 'metric_name');
  if (o.value === undefined) invalid('value', 'missing');
  if (typeof o.value !== 'number') invalid('value', `must be a number, not ${o.value === null ? 'null' : typeof o.value}`);
  const value = o.value;
  const timeNs = readTimeField(o.time);
  const service = o.service === undefined ? DEFAULT_SERVICE : text(o.service, 'service');
  const attributes = readAttributes(o.attributes);
  const kv = (key: string, v: string) => ({ key, value: { stringValue: v } });
  const encoded = Request.encode({
    resourceMetrics: [{
      resource: { attributes: [kv('service.name', service)] },
      scopeMetrics: [{
        scope: { name: API_SCOPE },
        metrics: [{
          name: metricName,
          // protobufjs writes a fixed64 exactly from a decimal string (a bigint would be 0).
          gauge: { dataPoints: [{ timeUnixNano: timeNs.toString() as never, asDouble: value, attributes: Object.entries(attributes).map(([k, v]) => kv(k, v)) }] },
        }],
      }],
    }],
  }).finish();
  return { metricName, value, timeNs, service, attributes, body: encoded };
}
