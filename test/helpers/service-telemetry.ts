/**
 * Spans between several services, sent by the official OpenTelemetry SDK and OTLP/protobuf
 * exporter, with known kinds, parents, links, durations and errors; every span sent is also
 * returned as a plain record, so a test computes what the service map and RED answers must be
 * from what it sent (expectedMap, expectedStats), not from what the server stored.
 */
import { type Link, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export interface SentSpan {
  service: string;
  name: string;
  kind: 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
  spanId: string;
  traceId: string;
  parentSpanId: string | null;
  /** The span this CONSUMER span links to. */
  link: { traceId: string; spanId: string } | null;
  startMs: number;
  durationMs: number;
  error: boolean;
}

const KINDS = { INTERNAL: SpanKind.INTERNAL, SERVER: SpanKind.SERVER, CLIENT: SpanKind.CLIENT, PRODUCER: SpanKind.PRODUCER, CONSUMER: SpanKind.CONSUMER };

/** A sender of spans with explicit times; `flush()` exports everything sent so far. */
export class SpanSender {
  readonly sent: SentSpan[] = [];
  private readonly providers = new Map<string, TracerProvider>();

  constructor(private readonly serverUrl: string) {}

  private tracer(service: string) {
    let p = this.providers.get(service);
    if (!p) {
      p = new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': service }),
        spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${this.serverUrl}/v1/traces` }), maxExportBatchSize: 256, scheduledDelayMillis: 20 })],
      });
      this.providers.set(service, p);
    }
    return p.getTracer('glust-service-map-test');
  }

  /** One span from `startMs` (unix ms) lasting `durationMs`, under `parent` when given. */
  span(spec: { service: string; name: string; kind: SentSpan['kind']; startMs: number; durationMs: number; error?: boolean; parent?: SentSpan; link?: SentSpan }): SentSpan {
    const hr = (ms: number): [number, number] => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
    const parentCtx = spec.parent
      ? trace.setSpanContext(context.active(), { traceId: spec.parent.traceId, spanId: spec.parent.spanId, traceFlags: 1, isRemote: true })
      : trace.deleteSpan(context.active());
    const links: Link[] = spec.link ? [{ context: { traceId: spec.link.traceId, spanId: spec.link.spanId, traceFlags: 1 } }] : [];
    const s = this.tracer(spec.service).startSpan(spec.name, { kind: KINDS[spec.kind], startTime: hr(spec.startMs), links, root: !spec.parent }, parentCtx);
    if (spec.error) s.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
    s.end(hr(spec.startMs + spec.durationMs));
    const ctx = s.spanContext();
    const sent: SentSpan = {
      service: spec.service, name: spec.name, kind: spec.kind, spanId: ctx.spanId, traceId: ctx.traceId, parentSpanId: spec.parent?.spanId ?? null,
      link: spec.link ? { traceId: spec.link.traceId, spanId: spec.link.spanId } : null, startMs: spec.startMs, durationMs: spec.durationMs, error: spec.error ?? false,
    };
    this.sent.push(sent);
    return sent;
  }

  async flush(): Promise<void> {
    for (const p of this.providers.values()) await p.forceFlush();
  }

  async close(): Promise<void> {
    for (const p of this.providers.values()) await p.shutdown();
  }
}

/** DuckDB's quantile_cont: linear interpolation between the two nearest ranks. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const isEntry = (s: SentSpan) => s.parentSpanId === null || s.kind === 'SERVER' || s.kind === 'CONSUMER';

export function expectedStats(spans: readonly SentSpan[]) {
  const durations = spans.map((s) => s.durationMs);
  const errors = spans.filter((s) => s.error).length;
  return {
    requests: spans.length, errors, error_rate: spans.length ? errors / spans.length : 0,
    p50_ms: quantile(durations, 0.5), p95_ms: quantile(durations, 0.95), p99_ms: quantile(durations, 0.99),
  };
}

/** The service map the spans make: nodes by entry spans, edges by cross-service parents and producer links. */
export function expectedMap(spans: readonly SentSpan[]) {
  const services = [...new Set(spans.map((s) => s.service))].sort();
  const nodes = services.map((svc) => ({
    service_name: svc, spans: spans.filter((s) => s.service === svc).length, ...expectedStats(spans.filter((s) => s.service === svc && isEntry(s))),
  }));
  const byId = new Map(spans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
  const calls = new Map<string, SentSpan[]>();
  for (const c of spans) {
    const parent = c.parentSpanId ? byId.get(`${c.traceId}/${c.parentSpanId}`) : undefined;
    const producer = c.kind === 'CONSUMER' && c.link ? byId.get(`${c.link.traceId}/${c.link.spanId}`) : undefined;
    for (const p of [parent, producer !== parent && producer?.kind === 'PRODUCER' ? producer : undefined]) {
      if (!p || p.service === c.service) continue;
      const key = `${p.service}\u0000${c.service}`;
      calls.set(key, [...(calls.get(key) ?? []), c]);
    }
  }
  const edges = [...calls.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, list]) => {
    const [caller, callee] = key.split('\u0000');
    const errors = list.filter((s) => s.error).length;
    return { caller, callee, calls: list.length, errors, error_rate: errors / list.length, p95_ms: quantile(list.map((s) => s.durationMs), 0.95) };
  });
  return { nodes, edges };
}
