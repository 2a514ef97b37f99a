/**
 * OTLP metrics export requests built by hand, for tests that need exact control over every field
 * (including invalid ones the SDKs never send). One plain object in the OTLP/JSON shape (64-bit
 * integers as decimal strings, ids as hex) is encoded either as OTLP/JSON or, through the
 * project's generated protobuf code, as protobuf (ids turned into bytes on the way).
 */
import { opentelemetry } from '../../dist/gen/otlp.js';

const M = opentelemetry.proto.collector.metrics.v1;

/** A metric as OTLP/JSON spells it: name, description, unit and one data field. */
export type MetricJson = Record<string, unknown>;

export function attrs(a: Record<string, string | number> = {}) {
  return Object.entries(a).map(([key, v]) => ({
    key,
    value: typeof v === 'number' ? (Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v }) : { stringValue: v },
  }));
}

/** A request object with one resource (service.name = `service`) and one scope. */
export function metricsObject(metrics: MetricJson[], service = 'metrics-svc', resource: Record<string, string> = {}): Record<string, unknown> {
  return {
    resourceMetrics: [{
      resource: { attributes: attrs({ 'service.name': service, ...resource }) },
      scopeMetrics: [{ scope: { name: 'test-scope', version: '1.2' }, metrics }],
    }],
  };
}

/** Hex ids (traceId, spanId) anywhere in the object become bytes, as protobufjs wants them. */
function withByteIds(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withByteIds);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, (k === 'traceId' || k === 'spanId') && typeof x === 'string' ? Buffer.from(x, 'hex') : withByteIds(x)]));
}

export function encodeMetricsProto(request: Record<string, unknown>): Uint8Array {
  return M.ExportMetricsServiceRequest.encode(withByteIds(request) as opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest.$Properties).finish();
}

/** OTLP/JSON; NaN and ±Infinity as the strings the protobuf JSON mapping spells them with. */
export function encodeMetricsJson(request: Record<string, unknown>): string {
  return JSON.stringify(request, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

export function decodeMetricsResponse(body: Uint8Array) {
  return M.ExportMetricsServiceResponse.decode(body);
}

/** A gauge with one double point per value, at `time` (ns, as a string) + i. */
export function gauge(name: string, values: number[], time: bigint, pointAttrs: Record<string, string> = {}): MetricJson {
  return {
    name,
    unit: '1',
    description: `gauge ${name}`,
    gauge: { dataPoints: values.map((v, i) => ({ timeUnixNano: String(time + BigInt(i)), asDouble: v, attributes: attrs(pointAttrs) })) },
  };
}
