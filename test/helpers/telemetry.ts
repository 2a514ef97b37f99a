/**
 * Real telemetry for the read-side tests: the official OpenTelemetry SDK and OTLP/protobuf
 * exporters send a small checkout trace (with nesting, an error, an event and a link) and log
 * records (one of them inside the failing span) to a live server.
 */
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, StackContextManager, TracerProvider } from '@opentelemetry/sdk-trace';

context.setGlobalContextManager(new StackContextManager().enable());

export interface SentTrace {
  traceId: string;
  /** Span ids by name. */
  ids: Record<string, string>;
  /** Names in the waterfall's depth-first order, with depths. */
  order: Array<[string, number]>;
  linkedTraceId: string;
}

type Hr = [number, number];

/**
 * Send one trace of service `service`, starting `agoMs` ago:
 *
 *   GET /checkout (frontend)              0–300 ms
 *     SELECT cart (db)                   10–40 ms
 *     POST /charge (payments, ERROR)     50–200 ms   event "retry", link to another trace
 *       card-network call (payments)     60–180 ms
 *     render receipt (frontend)          210–290 ms
 *
 * and log records: INFO "checkout started" (frontend), ERROR "Payment TIMEOUT for order 42"
 * (payments, in the charge span), WARN "discount 100% _applied_" (frontend).
 */
export async function sendCheckout(serverUrl: string, service = 'frontend', agoMs = 60_000): Promise<SentTrace> {
  const base = Date.now() - agoMs;
  const hr = (ms: number): Hr => [Math.floor((base + ms) / 1000), ((base + ms) % 1000) * 1e6];
  const providers = new Map<string, TracerProvider>();
  const tracer = (svc: string) => {
    let p = providers.get(svc);
    if (!p) {
      p = new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': svc, 'deployment.environment': 'test' }),
        spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${serverUrl}/v1/traces` }), scheduledDelayMillis: 20 })],
      });
      providers.set(svc, p);
    }
    return p.getTracer('glust-read-test', '1.0.0');
  };
  const other = tracer('payments').startSpan('unrelated', { startTime: hr(0) });
  other.end(hr(1));
  const linkedTraceId = other.spanContext().traceId;

  const root = tracer(service).startSpan('GET /checkout', { kind: SpanKind.SERVER, startTime: hr(0), attributes: { 'http.route': '/checkout', 'customer.tier': 'gold' } });
  const inRoot = trace.setSpan(context.active(), root);
  const db = tracer('db').startSpan('SELECT cart', { kind: SpanKind.CLIENT, startTime: hr(10), attributes: { 'db.system': 'postgresql' } }, inRoot);
  db.end(hr(40));
  const charge = tracer('payments').startSpan('POST /charge', { kind: SpanKind.CLIENT, startTime: hr(50), links: [{ context: other.spanContext(), attributes: { reason: 'retry-of' } }], attributes: { 'payment.amount': 12.5 } }, inRoot);
  charge.addEvent('retry', { attempt: 2 }, hr(100));
  charge.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
  const inCharge = trace.setSpan(context.active(), charge);
  const network = tracer('payments').startSpan('card-network call', { startTime: hr(60) }, inCharge);
  network.end(hr(180));
  charge.end(hr(200));
  const render = tracer(service).startSpan('render receipt', { startTime: hr(210) }, inRoot);
  render.end(hr(290));
  root.end(hr(300));

  const logs = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${serverUrl}/v1/logs` }), scheduledDelayMillis: 20 })],
  });
  const payLogs = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'payments' }),
    processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${serverUrl}/v1/logs` }), scheduledDelayMillis: 20 })],
  });
  logs.getLogger('app').emit({ timestamp: hr(1), severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'checkout started', context: inRoot });
  payLogs.getLogger('pay').emit({ timestamp: hr(150), severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: 'Payment TIMEOUT for order 42', context: inCharge });
  logs.getLogger('app').emit({ timestamp: hr(295), severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'discount 100% _applied_' });

  for (const p of providers.values()) {
    await p.forceFlush();
    await p.shutdown();
  }
  for (const p of [logs, payLogs]) {
    await p.forceFlush();
    await p.shutdown();
  }
  const id = (s: { spanContext(): { spanId: string } }) => s.spanContext().spanId;
  return {
    traceId: root.spanContext().traceId,
    ids: { 'GET /checkout': id(root), 'SELECT cart': id(db), 'POST /charge': id(charge), 'card-network call': id(network), 'render receipt': id(render) },
    order: [['GET /checkout', 0], ['SELECT cart', 1], ['POST /charge', 1], ['card-network call', 2], ['render receipt', 1]],
    linkedTraceId,
  };
}

/**
 * GET a JSON path of the server; returns status, headers and parsed body. The body is `any`
 * unless a type is given: tests compare its fields with what they sent, whatever its shape.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above; callers may pass the API's type
export async function getJson<T = any>(url: string): Promise<{ status: number; headers: Headers; body: T }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as T };
}
