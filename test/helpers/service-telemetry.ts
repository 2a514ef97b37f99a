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

const MIN = 60_000;
/** Requests of web in sendServices. */
export const N = 40;

/**
 * The services the issue 15 tests look at, sent from `t0` (unix ms, a whole minute) on:
 *
 *   web (SERVER) → CLIENT "call api" → api (SERVER) → CLIENT "SELECT items" (db sends no spans)
 *   and every third request a PRODUCER that worker consumes in a new trace (CONSUMER, linked)
 *
 * N requests 7 s apart from t0 + 2 min; every fifth api request fails, and with it web's. cron
 * runs six root INTERNAL jobs and calls nobody. spiky takes 10 requests a minute for 16 minutes
 * from t0 + 8 min: in its minute 14, 8 of 10 fail; in minute 15, every request is ten times slower.
 */
export async function sendServices(serverUrl: string, t0: number): Promise<{ sent: SentSpan[]; spikyStart: number }> {
  const sender = new SpanSender(serverUrl);
  for (let i = 0; i < N; i++) {
    const at = t0 + 2 * MIN + i * 7_000;
    const fails = i % 5 === 0;
    const root = sender.span({ service: 'web', name: 'GET /home', kind: 'SERVER', startMs: at, durationMs: 100 + i, error: fails });
    const client = sender.span({ service: 'web', name: 'call api', kind: 'CLIENT', startMs: at + 5, durationMs: 80 + i, parent: root });
    const api = sender.span({ service: 'api', name: 'GET /items', kind: 'SERVER', startMs: at + 6, durationMs: 70 + (i * 7) % 13, error: fails, parent: client });
    sender.span({ service: 'api', name: 'SELECT items', kind: 'CLIENT', startMs: at + 8, durationMs: 20 + (i % 4), parent: api });
    if (i % 3 === 0) {
      const produce = sender.span({ service: 'api', name: 'publish order', kind: 'PRODUCER', startMs: at + 40, durationMs: 2, parent: api });
      sender.span({ service: 'worker', name: 'process order', kind: 'CONSUMER', startMs: at + 500, durationMs: 30 + i, error: i === 9, link: produce });
    }
  }
  for (let i = 0; i < 6; i++) sender.span({ service: 'cron', name: 'nightly job', kind: 'INTERNAL', startMs: t0 + 3 * MIN + i * 1000, durationMs: 500 + 10 * i });
  const spikyStart = t0 + 8 * MIN;
  for (let m = 0; m < 16; m++) {
    for (let k = 0; k < 10; k++) {
      sender.span({ service: 'spiky', name: 'GET /spike', kind: 'SERVER', startMs: spikyStart + m * MIN + k * 5000, durationMs: (m === 15 ? 200 : 20) + k, error: m === 14 && k < 8 });
    }
  }
  await sender.flush();
  await sender.close();
  return { sent: sender.sent, spikyStart };
}
