/**
 * Known telemetry for the picture views of issue 15, sent with the official OpenTelemetry SDK and
 * OTLP/protobuf exporters: traces of known start, duration and status over several services, and
 * log records of known time and severity, some written inside those traces' spans. The tests
 * compute what the API should answer from what this returns.
 *
 * Trace i of `count` (service "shop", root "GET /item", SERVER) starts at `baseMs` + i·`gapMs`
 * and lasts (i + 1)·20 ms; under it "SELECT item" (db), and in every odd trace "fetch price"
 * (pricing) too. Every fourth trace (i % 4 = 3) fails in its db span. Each trace writes an INFO
 * record in its root span; a failing one an ERROR record in its db span. Between traces, "cron"
 * writes WARN and DEBUG records with no trace context.
 */
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, StackContextManager, TracerProvider } from '@opentelemetry/sdk-trace';

context.setGlobalContextManager(new StackContextManager().enable());

export interface ShopTrace {
  traceId: string;
  rootSpanId: string;
  dbSpanId: string;
  startNs: bigint;
  durationNs: bigint;
  error: boolean;
  spans: number;
}

export interface ShopLog {
  timeNs: bigint;
  severity: number;
  service: string;
  traceId: string | null;
  spanId: string | null;
}

export interface Shop {
  traces: ShopTrace[];
  logs: ShopLog[];
}

const MS = 1_000_000n;

export async function sendShop(serverUrl: string, opts: { baseMs: number; count: number; gapMs: number }): Promise<Shop> {
  const hr = (ms: number): [number, number] => [Math.floor(ms / 1000), (ms % 1000) * 1e6];
  const tracers = new Map<string, TracerProvider>();
  const tracer = (svc: string) => {
    let p = tracers.get(svc);
    if (!p) {
      p = new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': svc }),
        spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${serverUrl}/v1/traces` }), scheduledDelayMillis: 20, maxExportBatchSize: 200 })],
      });
      tracers.set(svc, p);
    }
    return p.getTracer('glust-views-test', '1.0.0');
  };
  const loggers = new Map<string, LoggerProvider>();
  const logger = (svc: string) => {
    let p = loggers.get(svc);
    if (!p) {
      p = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': svc }),
        processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${serverUrl}/v1/logs` }), scheduledDelayMillis: 20, maxExportBatchSize: 200 })],
      });
      loggers.set(svc, p);
    }
    return p.getLogger('app');
  };

  const traces: ShopTrace[] = [];
  const logs: ShopLog[] = [];
  for (let i = 0; i < opts.count; i++) {
    const t0 = opts.baseMs + i * opts.gapMs;
    const duration = (i + 1) * 20;
    const error = i % 4 === 3;
    const root = tracer('shop').startSpan('GET /item', { kind: SpanKind.SERVER, startTime: hr(t0), attributes: { 'http.route': '/item' } });
    const inRoot = trace.setSpan(context.active(), root);
    const db = tracer('db').startSpan('SELECT item', { kind: SpanKind.CLIENT, startTime: hr(t0 + 2) }, inRoot);
    if (error) db.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock' });
    db.end(hr(t0 + 2 + Math.floor(duration / 2)));
    let spans = 2;
    if (i % 2 === 1) {
      const price = tracer('pricing').startSpan('fetch price', { kind: SpanKind.CLIENT, startTime: hr(t0 + 3 + Math.floor(duration / 2)) }, inRoot);
      price.end(hr(t0 + duration - 1));
      spans++;
    }
    root.end(hr(t0 + duration));
    const ids = { traceId: root.spanContext().traceId, rootSpanId: root.spanContext().spanId, dbSpanId: db.spanContext().spanId };
    traces.push({ ...ids, startNs: BigInt(t0) * MS, durationNs: BigInt(duration) * MS, error, spans });

    logger('shop').emit({ timestamp: hr(t0 + 1), severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: `item ${i} requested`, context: inRoot });
    logs.push({ timeNs: BigInt(t0 + 1) * MS, severity: SeverityNumber.INFO, service: 'shop', traceId: ids.traceId, spanId: ids.rootSpanId });
    if (error) {
      logger('db').emit({ timestamp: hr(t0 + 3), severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: `deadlock on item ${i}`, context: trace.setSpan(context.active(), db) });
      logs.push({ timeNs: BigInt(t0 + 3) * MS, severity: SeverityNumber.ERROR, service: 'db', traceId: ids.traceId, spanId: ids.dbSpanId });
    }
    const between = t0 + Math.floor(opts.gapMs / 2);
    const severity = i % 3 === 0 ? SeverityNumber.WARN : SeverityNumber.DEBUG;
    logger('cron').emit({ timestamp: hr(between), severityNumber: severity, body: `sweep ${i}` });
    logs.push({ timeNs: BigInt(between) * MS, severity, service: 'cron', traceId: null, spanId: null });
  }
  for (const p of [...tracers.values(), ...loggers.values()]) {
    await p.forceFlush();
    await p.shutdown();
  }
  return { traces, logs };
}
