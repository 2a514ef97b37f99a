// Pre-built OTLP request bodies for the load generator, encoded once with the project's own
// generated protobuf code (dist/gen/otlp.js), so the generator spends no CPU building data.
//
// Shapes:
//   testbed    100 spans per request: name, kind CLIENT, two int attributes (the OpenTelemetry
//              Collector load testbed's span shape)
//   realistic  spans with ~20 attributes, some events, 5 services per request; logs with
//              6 attributes and 100-300 byte bodies; metrics (signal 'metrics'): 100 points per
//              request over 5 services, 70% sums and gauges, 30% explicit-bucket histograms
//              (16 buckets), ~10 attributes per series
//
// Ids and timestamps are patched into a body right before each send (patchBody), so every
// span stored is unique and recent even though the bodies are built once: compression and
// bytes-per-span figures are then honest.
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { opentelemetry } from '../../dist/gen/otlp.js';

const T = opentelemetry.proto.collector.trace.v1;
const L = opentelemetry.proto.collector.logs.v1;
const M = opentelemetry.proto.collector.metrics.v1;

const str = (stringValue) => ({ stringValue });
const int = (intValue) => ({ intValue });
const kv = (key, value) => ({ key, value });

// Marker bytes let patchBody find where ids and times sit in the encoded body.
const MARK_TRACE = Buffer.from('54524143454d41524b45525f5f5f5f30', 'hex'); // "TRACEMARKER____0"
const MARK_SPAN = Buffer.from('5350414e4d41524b', 'hex'); // "SPANMARK"
const MARK_TIME = 0x0badc0de00000000n; // start; end = start + duration (the low word stays distinct)

function findAll(buf, needle) {
  const out = [];
  for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + 1)) out.push(i);
  return out;
}

function timeMarker(durationNs) {
  return { start: String(MARK_TIME), end: String(MARK_TIME + BigInt(durationNs)) };
}

function testbedSpans(n, seq) {
  return Array.from({ length: n }, (_, i) => ({
    traceId: MARK_TRACE,
    spanId: MARK_SPAN,
    name: 'load-generator-span',
    kind: 3,
    startTimeUnixNano: timeMarker(0).start,
    endTimeUnixNano: timeMarker(1_000_000).end,
    attributes: [kv('load_generator.span_seq_num', int(seq + i)), kv('load_generator.trace_seq_num', int(Math.floor((seq + i) / 8)))],
  }));
}

const SERVICES = ['checkout', 'cart', 'payments', 'inventory', 'frontend'];
const ROUTES = ['/api/cart', '/api/checkout', '/api/products/{id}', '/api/orders/{id}', '/health'];

function realisticSpan(rng, service) {
  const route = ROUTES[rng() % ROUTES.length];
  const status = [200, 200, 200, 201, 404, 500][rng() % 6];
  const attrs = [
    kv('http.request.method', str(['GET', 'POST', 'PUT'][rng() % 3])),
    kv('http.route', str(route)),
    kv('url.full', str(`https://shop.example.com${route.replace('{id}', String(rng() % 100000))}?session=${rng().toString(36)}`)),
    kv('http.response.status_code', int(status)),
    kv('server.address', str('shop.example.com')),
    kv('server.port', int(443)),
    kv('network.protocol.version', str('1.1')),
    kv('user_agent.original', str('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36')),
    kv('client.address', str(`10.${rng() % 256}.${rng() % 256}.${rng() % 256}`)),
    kv('db.system', str('postgresql')),
    kv('db.statement', str(`SELECT id, name, price FROM products WHERE id = $1 AND tenant = ${rng() % 50}`)),
    kv('db.name', str('shop')),
    kv('enduser.id', str(`user-${rng() % 10000}`)),
    kv('session.id', str(crypto.randomBytes(8).toString('hex'))),
    kv('app.cart.items', int(rng() % 20)),
    kv('app.cart.total', { doubleValue: (rng() % 100000) / 100 }),
    kv('app.feature_flag.new_checkout', { boolValue: rng() % 2 === 0 }),
    kv('thread.id', int(rng() % 64)),
    kv('code.function', str(`${service}.handle${route.split('/')[2] ?? 'root'}`)),
    kv('deployment.region', str(['eu-west-1', 'us-east-1'][rng() % 2])),
  ];
  const events = status >= 500
    ? [{ timeUnixNano: timeMarker(0).start, name: 'exception', attributes: [
        kv('exception.type', str('UpstreamTimeout')),
        kv('exception.message', str(`upstream ${service} timed out after 3000 ms`)),
        kv('exception.stacktrace', str(`Error: upstream timed out\n    at ${service}.call (lib/${service}.js:42:13)\n    at processTicksAndRejections (node:internal/process/task_queues:95:5)`)),
      ] }]
    : rng() % 4 === 0 ? [{ timeUnixNano: timeMarker(0).start, name: 'cache.miss', attributes: [kv('cache.key', str(`product:${rng() % 1000}`))] }] : [];
  return {
    traceId: MARK_TRACE,
    spanId: MARK_SPAN,
    parentSpanId: rng() % 3 === 0 ? undefined : crypto.randomBytes(8),
    name: `${['GET', 'POST'][rng() % 2]} ${route}`,
    kind: [1, 2, 3][rng() % 3],
    startTimeUnixNano: timeMarker(0).start,
    endTimeUnixNano: timeMarker(1_000_000 + (rng() % 50_000_000)).end,
    attributes: attrs,
    events,
    status: status >= 500 ? { code: 2, message: 'upstream timed out' } : { code: 0 },
  };
}

function resource(service) {
  return {
    attributes: [
      kv('service.name', str(service)),
      kv('service.version', str('1.4.2')),
      kv('deployment.environment', str('production')),
      kv('host.name', str(`node-${service}-7f9c`)),
      kv('telemetry.sdk.language', str('nodejs')),
      kv('telemetry.sdk.name', str('opentelemetry')),
      kv('telemetry.sdk.version', str('2.12.1')),
    ],
  };
}

// Log messages as applications write them: a template with variable parts (ids, amounts,
// durations, addresses), sometimes with a stack trace. Random words would be less compressible
// than any real log; identical lines would be more.
const LOG_TEMPLATES = [
  (r) => `payment ${r() % 1000000} declined for order ${r() % 10000000}: card issuer answered ${['insufficient_funds', 'do_not_honor', 'expired_card'][r() % 3]} after ${r() % 3000} ms`,
  (r) => `GET /api/products/${r() % 100000} 200 ${r() % 900} ms user=user-${r() % 10000} bytes=${r() % 50000}`,
  (r) => `cache miss for key product:${r() % 100000}:price, loading from postgres (pool ${r() % 20}/20 busy)`,
  (r) => `order ${r() % 10000000} reserved ${r() % 9 + 1} items in warehouse ${['fra-1', 'dub-2', 'iad-3'][r() % 3]}, reservation ${(r() >>> 0).toString(16)} expires in 900 s`,
  (r) => `retrying call to inventory (attempt ${r() % 5 + 1}/5): connect ECONNREFUSED 10.${r() % 256}.${r() % 256}.${r() % 256}:8080`,
  (r) => `session ${(r() >>> 0).toString(36)}${(r() >>> 0).toString(36)} refreshed for user-${r() % 10000}, token valid until ${new Date(1_700_000_000_000 + (r() % 1e9)).toISOString()}`,
  (r) => `Error: upstream request timed out after ${r() % 5000} ms\n    at Client.request (node_modules/undici/lib/client.js:${r() % 900}:15)\n    at async CheckoutService.placeOrder (src/checkout/service.ts:${r() % 400}:22)\n    at async Router.handle (src/http/router.ts:${r() % 200}:9)`,
  (r) => `consumer group checkout-events lag ${r() % 5000} messages on partition ${r() % 12}, committed offset ${r() % 100000000}`,
];

function realisticLog(rng, service) {
  const requestId = ((rng() >>> 0).toString(16) + (rng() >>> 0).toString(16)).padStart(16, '0');
  const body = `request_id=${requestId} ${LOG_TEMPLATES[rng() % LOG_TEMPLATES.length](rng)}`;
  const severity = [9, 9, 9, 13, 17][rng() % 5];
  return {
    timeUnixNano: timeMarker(0).start,
    observedTimeUnixNano: timeMarker(0).start,
    severityNumber: severity,
    severityText: { 9: 'INFO', 13: 'WARN', 17: 'ERROR' }[severity],
    body: str(body),
    attributes: [
      kv('logger.name', str(`${service}.http`)),
      kv('thread.name', str(`worker-${rng() % 8}`)),
      kv('http.route', str(ROUTES[rng() % ROUTES.length])),
      kv('enduser.id', str(`user-${rng() % 10000}`)),
      kv('request.duration_ms', int(rng() % 2000)),
      kv('code.lineno', int(rng() % 900)),
    ],
    traceId: MARK_TRACE,
    spanId: MARK_SPAN,
  };
}

const METRIC_BOUNDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-south-1'];

/** The ~10 attributes of one series: what an HTTP server's instruments carry. */
function seriesAttributes(rng, service, i) {
  return [
    kv('http.request.method', str(['GET', 'POST', 'PUT'][rng() % 3])),
    kv('http.route', str(ROUTES[(i + rng()) % ROUTES.length])),
    kv('http.response.status_code', int([200, 200, 201, 404, 500][rng() % 5])),
    kv('network.protocol.version', str('1.1')),
    kv('server.address', str('shop.example.com')),
    kv('server.port', int(443)),
    kv('url.scheme', str('https')),
    kv('deployment.region', str(REGIONS[rng() % REGIONS.length])),
    kv('k8s.pod.name', str(`${service}-7f9c${(rng() % 4096).toString(16)}`)),
    kv('series.seq', int(i)),
  ];
}

/**
 * One service's metrics of a request: 4 counters (monotonic cumulative sums, int values) and
 * 3 gauges of 2 series each (14 points), and 3 histograms of 2 series each (6 points).
 */
function realisticMetrics(rng, service) {
  const point = (i, extra) => ({ timeUnixNano: timeMarker(0).start, startTimeUnixNano: timeMarker(0).start, attributes: seriesAttributes(rng, service, i), ...extra });
  const two = (f) => [0, 1].map(f);
  const metrics = [];
  for (const name of ['http.server.requests', 'http.server.errors', 'db.client.calls', 'messaging.published']) {
    metrics.push({ name, unit: '{request}', description: `${name} so far`, sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: two((i) => point(i, { asInt: String(rng() % 1_000_000) })) } });
  }
  for (const name of ['process.memory.usage', 'db.client.connections.usage', 'queue.depth']) {
    metrics.push({ name, unit: 'By', description: `${name} now`, gauge: { dataPoints: two((i) => point(i, { asDouble: (rng() % 1_000_000) / 7 })) } });
  }
  for (const name of ['http.server.request.duration', 'db.client.operation.duration', 'rpc.client.duration']) {
    metrics.push({ name, unit: 'ms', description: `${name} distribution`, histogram: { aggregationTemporality: 2, dataPoints: two((i) => {
      const counts = METRIC_BOUNDS.map(() => rng() % 50).concat([rng() % 5]);
      const count = counts.reduce((a, b) => a + b, 0);
      return point(i, { count: String(count), sum: count * ((rng() % 5000) / 10), min: 0.25, max: 9000 + (rng() % 1000), bucketCounts: counts.map(String), explicitBounds: METRIC_BOUNDS });
    }) } });
  }
  return metrics;
}

/** A small deterministic PRNG, so every run builds the same bodies. */
function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

/**
 * Build `count` distinct bodies of a shape. Each body: { bytes (Buffer), records, traceAt[],
 * spanAt[], timeAt[] (offsets of fixed64 start times; an end time is start + its own duration) }.
 */
export function buildBodies(shape, signal, count) {
  const bodies = [];
  for (let b = 0; b < count; b++) {
    const rng = prng(b * 7919 + 17);
    let message;
    let records;
    if (signal === 'traces') {
      if (shape === 'testbed') {
        records = 100;
        message = T.ExportTraceServiceRequest.encode({ resourceSpans: [{ resource: resource('load-generator'), scopeSpans: [{ scope: { name: 'testbed' }, spans: testbedSpans(records, b * records) }] }] }).finish();
      } else {
        records = 0;
        const resourceSpans = SERVICES.map((service) => {
          const spans = Array.from({ length: 10 }, () => realisticSpan(rng, service));
          records += spans.length;
          return { resource: resource(service), scopeSpans: [{ scope: { name: `@shop/${service}`, version: '3.2.0' }, spans }] };
        });
        message = T.ExportTraceServiceRequest.encode({ resourceSpans }).finish();
      }
    } else if (signal === 'metrics') {
      records = 0;
      const resourceMetrics = SERVICES.map((service) => {
        const metrics = realisticMetrics(rng, service);
        for (const m of metrics) records += (m.sum ?? m.gauge ?? m.histogram).dataPoints.length;
        return { resource: resource(service), scopeMetrics: [{ scope: { name: `@shop/${service}`, version: '3.2.0' }, metrics }] };
      });
      message = M.ExportMetricsServiceRequest.encode({ resourceMetrics }).finish();
    } else {
      records = 0;
      const perService = shape === 'testbed' ? 20 : 20;
      const resourceLogs = SERVICES.map((service) => {
        const logRecords = Array.from({ length: perService }, () => realisticLog(rng, service));
        records += logRecords.length;
        return { resource: resource(service), scopeLogs: [{ scope: { name: `${service}.logger` }, logRecords }] };
      });
      message = L.ExportLogsServiceRequest.encode({ resourceLogs }).finish();
    }
    const bytes = Buffer.from(message);
    const timeAt = findTimes(bytes, signal === 'metrics' ? METRIC_TIME_TAGS : TIME_TAGS);
    bodies.push({
      bytes,
      records,
      traceAt: findAll(bytes, MARK_TRACE),
      spanAt: findAll(bytes, MARK_SPAN),
      timeAt,
      // Each time's offset from the start of its request, below 2^32 ns.
      timeDelta: timeAt.map((at) => Number(bytes.readBigUInt64LE(at) - MARK_TIME)),
    });
  }
  return bodies;
}

/** fixed64 time field tags: span start (7) and end (8), event time (1), log time (1) and observed time (11). */
const TIME_TAGS = new Set([(7 << 3) | 1, (8 << 3) | 1, (1 << 3) | 1, (11 << 3) | 1]);

/** fixed64 time field tags of metric data points: start time (2) and time (3). */
const METRIC_TIME_TAGS = new Set([(2 << 3) | 1, (3 << 3) | 1]);

/** Offsets of fixed64 times written from MARK_TIME (start) or MARK_TIME + duration (end). */
function findTimes(bytes, tags) {
  const out = [];
  const hi = Number(MARK_TIME >> 32n);
  for (let i = 1; i + 8 <= bytes.length; i++) {
    // Durations stay below 2^32 ns, so the high word is MARK_TIME's; the tag byte must precede.
    if (bytes.readUInt32LE(i + 4) === hi && tags.has(bytes[i - 1])) {
      const v = bytes.readBigUInt64LE(i);
      if (v >= MARK_TIME && v < MARK_TIME + 4_000_000_000n) {
        out.push(i);
        i += 7;
      }
    }
  }
  return out;
}

const random = Buffer.alloc(1 << 16);
let randomPos = random.length;
function randomBytes(n) {
  if (randomPos + n > random.length) {
    crypto.randomFillSync(random);
    randomPos = 0;
  }
  const out = random.subarray(randomPos, randomPos + n);
  randomPos += n;
  return out;
}

/**
 * Give a body fresh ids and times in place: one random trace id per 8 spans (so traces have
 * several spans), a random span id each, times shifted so the start is `nowNs`.
 */
export function patchBody(body, nowNs) {
  const { bytes } = body;
  let trace = null;
  for (let i = 0; i < body.traceAt.length; i++) {
    if (i % 8 === 0) trace = randomBytes(16);
    trace.copy(bytes, body.traceAt[i]);
  }
  for (const at of body.spanAt) randomBytes(8).copy(bytes, at);
  // 32-bit halves: no BigInt per field on the generator's hot path.
  const hi = Number(nowNs >> 32n);
  const lo = Number(nowNs & 0xffffffffn);
  for (let k = 0; k < body.timeAt.length; k++) {
    const at = body.timeAt[k];
    const sum = lo + body.timeDelta[k];
    bytes.writeUInt32LE(sum >>> 0, at);
    bytes.writeUInt32LE(hi + (sum >= 0x100000000 ? 1 : 0), at + 4);
  }
}

export function gzipBody(body) {
  return { ...body, bytes: zlib.gzipSync(body.bytes), gzipped: true };
}
