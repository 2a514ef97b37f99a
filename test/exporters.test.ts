/**
 * The official OpenTelemetry JS exporters (OTLP/HTTP protobuf and JSON, and OTLP/gRPC, each with
 * and without gzip) send spans and log records to a live server; the Parquet files are read back with DuckDB and compared
 * field by field with what the SDK sent.
 */
import t from 'tap';
import { type Span, SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, StackContextManager } from '@opentelemetry/sdk-trace';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { eventually, queryData, startServer } from './helpers/server.js';

const contextManager = new StackContextManager().enable();
context.setGlobalContextManager(contextManager);

const server = await startServer({ args: ['--flush-ms', '300', '--grpc-listen', '127.0.0.1:0'] });
const grpcUrl = `http://127.0.0.1:${server.grpcPort}`;
t.teardown(() => server.kill());

const variants = [
  { name: 'proto', gzip: false },
  { name: 'proto', gzip: true },
  { name: 'json', gzip: false },
  { name: 'json', gzip: true },
  { name: 'grpc', gzip: false },
  { name: 'grpc', gzip: true },
] as const;

// A fixed time today (UTC), with nanoseconds the SDK keeps exactly as HrTime [s, ns].
const baseSeconds = Math.floor(Date.now() / 1000) - 60;
const hr = (offsetMs: number, ns = 0): [number, number] => [baseSeconds + Math.floor(offsetMs / 1000), (offsetMs % 1000) * 1e6 + ns];
const nanos = (h: [number, number]) => BigInt(h[0]) * 1_000_000_000n + BigInt(h[1]);
const expectedDay = new Date(baseSeconds * 1000).toISOString().slice(0, 10);

interface SentSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: string;
  start: bigint;
  end: bigint;
}

for (const v of variants) {
  const label = `${v.name}${v.gzip ? '+gzip' : ''}`;
  const service = `svc-${label}`;

  t.test(`traces via the ${label} exporter`, async (t) => {
    const url = `${server.url}/v1/traces`;
    const compression = v.gzip ? 'gzip' : 'none';
    const exporter = v.name === 'proto'
      ? new ProtoTraceExporter({ url, compression } as never)
      : v.name === 'grpc'
        ? new GrpcTraceExporter({ url: grpcUrl, compression } as never)
        : new JsonTraceExporter({ url, compression } as never);
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'test', 'res.count': 7 }),
      spanProcessors: [new BatchSpanProcessor({ exporter, maxExportBatchSize: 64, scheduledDelayMillis: 50 })],
    });
    const tracer = provider.getTracer('glust-test-scope', '1.2.3');
    const sent: SentSpan[] = [];
    const record = (span: Span, name: string, kind: string, parent: string | null, start: [number, number], end: [number, number]) => {
      const ctx = span.spanContext();
      sent.push({ traceId: ctx.traceId, spanId: ctx.spanId, parentSpanId: parent, name, kind, start: nanos(start), end: nanos(end) });
    };

    const rootStart = hr(0, 123);
    const rootEnd = hr(250, 456);
    const root = tracer.startSpan('GET /checkout', {
      kind: SpanKind.SERVER,
      startTime: rootStart,
      attributes: {
        'http.method': 'GET',
        'flag.ok': true,
        'count.int': 42,
        'ratio.double': 3.25,
        'tags': ['a', 'b"quoted"'],
        'ints': [1, 2, 3],
        'bools': [true, false],
        'doubles': [1.5, -0.25],
        'unicode': 'héllo ✓ 🚀',
      },
    });
    root.addEvent('cache.miss', { 'cache.key': 'user:1', 'attempt': 2 }, hr(10, 7));
    root.addEvent('retry', undefined, hr(20));
    const rootCtx = trace.setSpan(context.active(), root);
    const kinds = [
      [SpanKind.CLIENT, 'CLIENT'],
      [SpanKind.PRODUCER, 'PRODUCER'],
      [SpanKind.CONSUMER, 'CONSUMER'],
      [SpanKind.INTERNAL, 'INTERNAL'],
    ] as const;
    const linkTarget = { traceId: 'abcdefabcdefabcdefabcdefabcdef01', spanId: '0123456789abcdef', traceFlags: 1 };
    kinds.forEach(([kind, kindName], i) => {
      const start = hr(30 + i * 10, i);
      const end = hr(35 + i * 10, 999);
      const child = tracer.startSpan(`child-${kindName}`, {
        kind,
        startTime: start,
        links: i === 0 ? [{ context: linkTarget, attributes: { 'link.reason': 'follows' } }] : [],
      }, rootCtx);
      if (i === 0) child.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timed out' });
      if (i === 1) child.setStatus({ code: SpanStatusCode.OK });
      child.end(end);
      record(child, `child-${kindName}`, kindName, root.spanContext().spanId, start, end);
    });
    root.end(rootEnd);
    record(root, 'GET /checkout', 'SERVER', null, rootStart, rootEnd);
    await provider.forceFlush();
    await provider.shutdown();

    const rows = await eventually(async () => {
      const r = await queryData(server.dataDir, `
        SELECT trace_id, span_id, parent_span_id, trace_state, flags, name, kind,
               epoch_ns(start_time) AS start_ns, epoch_ns(end_time) AS end_ns, duration_ns,
               status_code, status_message, service_name, attributes, resource_attributes,
               scope_name, scope_version,
               list_transform(events, e -> {'t': epoch_ns(e.time), 'name': e.name, 'attributes': e.attributes}) AS events,
               links, dropped_attributes_count, dropped_events_count, dropped_links_count, day::VARCHAR AS day
        FROM spans WHERE service_name = '${service}' ORDER BY start_time`);
      return r.length === sent.length ? r : null;
    });
    t.equal(rows.length, 5, 'all five spans stored');
    const byId = new Map(rows.map((r) => [r.span_id as string, r]));
    for (const s of sent) {
      const row = byId.get(s.spanId);
      t.ok(row, `span ${s.name} stored`);
      if (!row) continue;
      t.equal(row.trace_id, s.traceId, `${s.name} trace_id`);
      t.match(row.trace_id, /^[0-9a-f]{32}$/);
      t.equal(row.parent_span_id, s.parentSpanId, `${s.name} parent`);
      t.equal(row.name, s.name);
      t.equal(row.kind, s.kind, `${s.name} kind`);
      t.equal(row.start_ns, s.start, `${s.name} start_time exact to the ns`);
      t.equal(row.end_ns, s.end, `${s.name} end_time`);
      t.equal(row.duration_ns, s.end - s.start, `${s.name} duration_ns`);
      t.equal(row.service_name, service);
      t.equal(row.scope_name, 'glust-test-scope');
      t.equal(row.scope_version, '1.2.3');
      t.equal(row.day, expectedDay, 'partitioned by the UTC day of start_time');
      t.equal(row.flags, 1 | 256, 'W3C sampled flag plus the has-is-remote bit the SDK sets');
      const res = row.resource_attributes as Record<string, string>;
      t.equal(res['service.name'], service);
      t.equal(res['deployment.environment'], 'test');
      t.equal(res['res.count'], '7');
    }
    const root_ = byId.get(sent.at(-1)!.spanId)!;
    t.same(root_.attributes, {
      'http.method': 'GET',
      'flag.ok': 'true',
      'count.int': '42',
      'ratio.double': '3.25',
      'tags': '["a","b\\"quoted\\""]',
      'ints': '[1,2,3]',
      'bools': '[true,false]',
      'doubles': '[1.5,-0.25]',
      'unicode': 'héllo ✓ 🚀',
    }, 'every attribute type as text');
    t.equal(root_.status_code, 'UNSET');
    t.same(root_.events, [
      { t: nanos(hr(10, 7)), name: 'cache.miss', attributes: { 'cache.key': 'user:1', attempt: '2' } },
      { t: nanos(hr(20)), name: 'retry', attributes: {} },
    ], 'events with exact times and attributes');
    t.same(root_.links, []);
    const client = rows.find((r) => r.kind === 'CLIENT')!;
    t.equal(client.status_code, 'ERROR');
    t.equal(client.status_message, 'upstream timed out');
    t.same(client.links, [{ trace_id: linkTarget.traceId, span_id: linkTarget.spanId, trace_state: '', attributes: { 'link.reason': 'follows' } }]);
    t.equal(rows.find((r) => r.kind === 'PRODUCER')!.status_code, 'OK');
    t.equal(client.dropped_attributes_count, 0);
    t.equal(client.dropped_events_count, 0);
    t.equal(client.dropped_links_count, 0);
  });

  t.test(`logs via the ${label} exporter`, async (t) => {
    const url = `${server.url}/v1/logs`;
    const compression = v.gzip ? 'gzip' : 'none';
    const exporter = v.name === 'proto'
      ? new ProtoLogExporter({ url, compression } as never)
      : v.name === 'grpc'
        ? new GrpcLogExporter({ url: grpcUrl, compression } as never)
        : new JsonLogExporter({ url, compression } as never);
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'host.name': 'box-1' }),
      processors: [new BatchLogRecordProcessor({ exporter, maxExportBatchSize: 64, scheduledDelayMillis: 50 })],
    });
    const logger = provider.getLogger('glust-log-scope', '0.9.0');
    const tracerProvider = new TracerProvider({});
    const span = tracerProvider.getTracer('x').startSpan('op');
    const spanCtx = span.spanContext();
    const ctx = trace.setSpan(context.active(), span);

    logger.emit({
      timestamp: hr(1, 11),
      observedTimestamp: hr(2, 22),
      severityNumber: SeverityNumber.ERROR,
      severityText: 'ERROR',
      body: 'payment failed for order 17',
      attributes: { 'order.id': 17, 'retry': false, 'amount': 12.5, 'nested': { a: 1, b: ['x'] } },
      context: ctx,
    });
    logger.emit({
      timestamp: hr(3),
      severityNumber: SeverityNumber.INFO,
      severityText: 'INFO',
      body: { event: 'login', user: { id: 7, roles: ['admin'] } },
      eventName: 'user.login',
    });
    logger.emit({
      // (The SDK fills in an absent time itself; absent times are tested with raw requests.)
      timestamp: hr(4),
      observedTimestamp: hr(4, 44),
      severityNumber: SeverityNumber.WARN2,
      body: new Uint8Array([0, 1, 2, 250]),
    });
    logger.emit({ timestamp: hr(5), body: 42 });
    span.end();
    await provider.forceFlush();
    await provider.shutdown();

    const rows = await eventually(async () => {
      const r = await queryData(server.dataDir, `
        SELECT epoch_ns(time) AS t, epoch_ns(observed_time) AS o, trace_id, span_id, flags,
               severity_number, severity_text, body, event_name, service_name, attributes,
               resource_attributes, scope_name, scope_version, dropped_attributes_count, day::VARCHAR AS day
        FROM logs WHERE service_name = '${service}' ORDER BY coalesce(time, observed_time)`);
      return r.length === 4 ? r : null;
    });
    const [first, second, third, fourth] = rows as Record<string, unknown>[];
    t.equal(first!.t, nanos(hr(1, 11)), 'time exact');
    t.equal(first!.o, nanos(hr(2, 22)), 'observed_time exact');
    t.equal(first!.trace_id, spanCtx.traceId, 'trace id from the active span');
    t.equal(first!.span_id, spanCtx.spanId);
    t.equal(first!.flags, 1);
    t.equal(first!.severity_number, 17);
    t.equal(first!.severity_text, 'ERROR');
    t.equal(first!.body, 'payment failed for order 17', 'string body kept as is');
    t.same(first!.attributes, { 'order.id': '17', retry: 'false', amount: '12.5', nested: '{"a":1,"b":["x"]}' });
    t.same(first!.resource_attributes, { 'service.name': service, 'host.name': 'box-1' });
    t.equal(first!.scope_name, 'glust-log-scope');
    t.equal(first!.scope_version, '0.9.0');
    t.equal(first!.day, expectedDay);

    t.equal(second!.trace_id, null, 'no trace id outside a span');
    t.equal(second!.span_id, null);
    t.same(JSON.parse(second!.body as string), { event: 'login', user: { id: 7, roles: ['admin'] } }, 'map body as JSON');
    t.equal(second!.event_name, 'user.login');
    t.equal(second!.severity_number, 9);

    t.equal(third!.t, nanos(hr(4)));
    t.equal(third!.o, nanos(hr(4, 44)));
    t.equal(third!.body, Buffer.from([0, 1, 2, 250]).toString('base64'), 'bytes body as base64');
    t.equal(third!.severity_number, 14);
    t.equal(third!.severity_text, '');

    t.equal(fourth!.body, '42', 'int body as decimal text');
  });
}

t.test('server stops cleanly', async (t) => {
  t.equal(await server.stop(), 0, 'exit code 0 on SIGTERM');
});
