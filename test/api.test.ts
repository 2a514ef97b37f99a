/**
 * The read API against live servers and real data sent by the official exporters: every
 * endpoint, the same answers before conversion (rows still in the WAL) and after (Parquet and the
 * trace index), bad parameters (400 naming the parameter), unknown traces (404), harmless
 * injection attempts, the web UI's static files (content types, no path escape, OTLP routes not
 * swallowed), the live tail (records arrive; a slow client is dropped with a message while
 * ingestion goes on), and the query queue's 503 under load.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import t from 'tap';
import { MAX_QUEUED_QUERIES } from '../dist/api/feature.js';
import type { LogRecord, ServiceSummary, SpanRecord, TraceSummary } from '../dist/view/records.js';
import { bulkLogsDir } from './helpers/bulk.js';
import { rawGet } from './helpers/raw-http.js';
import { encodeMetricsProto, gauge, metricsObject } from './helpers/metric-requests.js';
import { PROTO, logsRequest } from './helpers/otlp.js';
import { type Server, eventually, post, startServer, tempDataDir } from './helpers/server.js';
import { type SentTrace, getJson, sendCheckout } from './helpers/telemetry.js';

const dataDir = tempDataDir();
const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();

// Phase 1: a server that keeps everything in the WAL (sealing after 5 minutes), so every answer
// comes from segments not yet converted.
let server: Server = await startServer({ dataDir, args: ['--flush-ms', '600000'] });
t.teardown(() => server.kill());
const sent: SentTrace = await sendCheckout(server.url);

async function snapshot(url: string) {
  const get = async (p: string) => {
    const { status, body } = await getJson(`${url}${p}`);
    return { status, body };
  };
  return {
    trace: await get(`/api/traces/${sent.traceId}`),
    search: await get(`/api/traces?service=frontend&start=${hourAgo()}`),
    logs: await get(`/api/logs?start=${hourAgo()}`),
    services: await get(`/api/services?start=${hourAgo()}`),
  };
}

const fromWal = await eventually(async () => {
  const r = await getJson(`${server.url}/api/traces/${sent.traceId}`);
  return r.status === 200 && r.body.spans.length === 5 ? snapshot(server.url) : null;
}, 10_000);

t.test('a trace just acknowledged is readable from the WAL, before any Parquet file exists', async (t) => {
  t.notOk(fs.existsSync(path.join(dataDir, 'spans')) && fs.readdirSync(path.join(dataDir, 'spans')).length > 0, 'no span Parquet yet');
  t.equal(fromWal.trace.status, 200);
  t.equal(fromWal.search.body.traces.length, 1);
  t.equal(fromWal.logs.body.logs.length, 3);
});

// Phase 2: stop (which converts everything to Parquet and writes the trace index), restart.
t.test('after conversion to Parquet the answers are the same', async (t) => {
  t.equal(await server.stop(), 0);
  t.ok(fs.readdirSync(path.join(dataDir, 'trace-index')).length > 0, 'trace index written');
  t.same(fs.readdirSync(path.join(dataDir, 'wal', 'spans')), [], 'WAL empty');
  server = await startServer({ dataDir, args: ['--flush-ms', '300'] });
  const fromParquet = await snapshot(server.url);
  t.same(fromParquet, fromWal, 'WAL rows mapped in JavaScript equal the Parquet rows DuckDB reads');
});

t.test('GET /api/traces/:traceId returns every stored field, ready to draw as a tree', async (t) => {
  const { status, headers, body } = await getJson(`${server.url}/api/traces/${sent.traceId.toUpperCase()}`);
  t.equal(status, 200);
  t.match(headers.get('content-type'), /^application\/json/);
  t.equal(body.trace_id, sent.traceId, 'upper-case id accepted, answered lowercase');
  const byName = Object.fromEntries(body.spans.map((s: SpanRecord) => [s.name, s]));
  t.same(Object.keys(byName).sort(), Object.keys(sent.ids).sort());
  t.same(body.spans.map((s: SpanRecord) => s.name), ['GET /checkout', 'SELECT cart', 'POST /charge', 'card-network call', 'render receipt'], 'ordered by start');
  t.equal(byName['GET /checkout'].parent_span_id, null);
  t.equal(byName['SELECT cart'].parent_span_id, sent.ids['GET /checkout']);
  t.equal(byName['card-network call'].parent_span_id, sent.ids['POST /charge']);
  const charge = byName['POST /charge'];
  t.match(charge, {
    span_id: sent.ids['POST /charge'], kind: 'CLIENT', status_code: 'ERROR', status_message: 'card declined', service_name: 'payments',
    attributes: { 'payment.amount': '12.5' }, resource_attributes: { 'service.name': 'payments', 'deployment.environment': 'test' },
    scope_name: 'glust-read-test', scope_version: '1.0.0', duration_ns: '150000000',
    events: [{ name: 'retry', attributes: { attempt: '2' } }],
    links: [{ trace_id: sent.linkedTraceId, attributes: { reason: 'retry-of' } }],
  });
  t.equal(BigInt(charge.end_time) - BigInt(charge.start_time), 150_000_000n, 'times are exact nanosecond strings');
  t.equal(BigInt(charge.events[0].time) - BigInt(charge.start_time), 50_000_000n);
});

t.test('unknown trace → 404; malformed id → 400', async (t) => {
  const unknown = await getJson(`${server.url}/api/traces/${'ab'.repeat(16)}`);
  t.equal(unknown.status, 404);
  t.match(unknown.body.message, /^GLUST_ERR_API_NOT_FOUND: trace abab/);
  const bad = await getJson(`${server.url}/api/traces/not-a-trace`);
  t.equal(bad.status, 400);
  t.match(bad.body.message, /^GLUST_ERR_API_PARAM: parameter 'traceId'/);
});

t.test('GET /api/traces: summaries, filters, time window, limit cap', async (t) => {
  const other = await sendCheckout(server.url, 'frontend', 30_000); // a newer trace
  const search = async (q: string) => (await getJson(`${server.url}/api/traces?start=${hourAgo()}&${q}`)).body;
  const all = await eventually(async () => {
    const r = await search('service=frontend');
    return r.traces.length === 2 ? r : null;
  });
  t.same(all.traces.map((x: TraceSummary) => x.trace_id), [other.traceId, sent.traceId], 'newest first');
  t.match(all.traces[1], {
    root_service: 'frontend', root_name: 'GET /checkout', duration_ns: '300000000', span_count: 5, error_count: 1,
    services: ['db', 'frontend', 'payments'],
  });
  t.equal(all.limit, 20);
  t.equal((await search('service=db')).traces.length, 2, 'a trace matches when any span matches');
  t.equal((await search('name=card-network%20call&status=error')).traces.length, 0, 'filters apply to one span together');
  t.equal((await search('name=POST%20%2Fcharge&status=error')).traces.length, 2);
  t.equal((await search('minDurationMs=299&maxDurationMs=301')).traces.length, 2, 'the roots last 300 ms');
  t.equal((await search('minDurationMs=301')).traces.length, 0);
  t.equal((await search('attr=db.system:postgresql')).traces.length, 2, 'span attribute');
  t.equal((await search('attr=deployment.environment:test&attr=customer.tier:gold')).traces.length, 2, 'resource and span attributes together');
  t.equal((await search('attr=customer.tier:silver')).traces.length, 0);
  t.same((await search('service=frontend&limit=1')).traces.map((x: TraceSummary) => x.trace_id), [other.traceId]);
  t.equal((await search('limit=999999')).limit, 1000, 'limit capped, not refused');
  const old = await getJson(`${server.url}/api/traces?start=2020-01-01T00:00:00Z&end=2020-01-02T00:00:00.5%2B02:00`);
  t.same(old.body.traces, [], 'another window');
  const ns = BigInt(Date.now() - 3_600_000) * 1_000_000n;
  t.equal((await getJson(`${server.url}/api/traces?service=frontend&start=${ns}`)).body.traces.length, 2, 'unix nanoseconds accepted');
});

t.test('GET /api/logs: substring, severity, trace id, service, newest first', async (t) => {
  const logs = async (q: string) => (await getJson(`${server.url}/api/logs?start=${hourAgo()}&${q}`)).body.logs as LogRecord[];
  const timeout = await logs('q=timeout');
  t.equal(timeout.length, 2, 'case-insensitive substring (one per trace sent)');
  t.match(timeout[1], { body: 'Payment TIMEOUT for order 42', severity_number: 17, severity_text: 'ERROR', service_name: 'payments', trace_id: sent.traceId, span_id: sent.ids['POST /charge'] });
  t.ok(BigInt(timeout[0].time!) > BigInt(timeout[1].time!), 'newest first');
  t.equal((await logs('q=100%25%20_applied_')).length, 2, '% and _ are literal');
  t.equal((await logs('q=100_')).length, 0, '_ is not a wildcard');
  t.same((await logs(`traceId=${sent.traceId}`)).map((l) => l.body).sort(), ['Payment TIMEOUT for order 42', 'checkout started']);
  t.equal((await logs('severity=warn')).length, 4, 'WARN and above');
  t.equal((await logs('severity=17')).length, 2);
  t.equal((await logs('service=payments')).length, 2);
  t.equal((await logs('limit=1')).length, 1);
});

t.test('GET /api/logs?attr=key:value: log and resource attributes, all at once, bound as values', async (t) => {
  // Two hours ago, outside the other tests' last-hour windows.
  const at = BigInt(Date.now() - 2 * 3_600_000) * 1_000_000n;
  const request = logsRequest([
    { time: at, body: 'order placed', attributes: { 'order.id': '42', 'http.route': '/pay' } },
    { time: at + 1n, body: 'order shipped', attributes: { 'order.id': '43', 'http.route': '/pay' } },
    { time: at + 2n, body: 'colon value', attributes: { 'url.full': 'http://x:8080/a' } },
  ], 'attr-svc');
  t.equal((await post(`${server.url}/v1/logs`, request, PROTO)).status, 200);
  const window = `start=${new Date(Date.now() - 3 * 3_600_000).toISOString()}&end=${new Date(Date.now() - 3_600_000).toISOString()}`;
  const bodies = async (q: string) => {
    const r = await getJson(`${server.url}/api/logs?${window}&${q}`);
    t.equal(r.status, 200, q);
    return (r.body.logs as LogRecord[]).map((l) => l.body).sort();
  };
  t.same(await bodies('attr=order.id:42'), ['order placed'], 'a log attribute');
  t.same(await bodies('attr=http.route:/pay'), ['order placed', 'order shipped']);
  t.same(await bodies('attr=http.route:/pay&attr=order.id:43'), ['order shipped'], 'every attr must match');
  t.same(await bodies('attr=service.name:attr-svc&q=placed'), ['order placed'], 'a resource attribute, with the text filter');
  t.same(await bodies(`attr=${encodeURIComponent('url.full:http://x:8080/a')}`), ['colon value'], 'the value may hold colons');
  t.same(await bodies('attr=order.id:44'), []);
  t.same(await bodies(`attr=${encodeURIComponent("order.id:42' OR '1'='1")}`), [], 'an injection attempt is a plain value');
  const bad = await getJson(`${server.url}/api/logs?attr=:42`);
  t.equal(bad.status, 400);
  t.match(bad.body.message, /^GLUST_ERR_API_PARAM: parameter 'attr': ':42' is not key:value/);
});

t.test('GET /api/services: counts and time range per service, metric points included', async (t) => {
  // Three gauge points of a service that sends only metrics, and two more for payments.
  const now = BigInt(Date.now()) * 1_000_000n;
  for (const request of [metricsObject([gauge('queue.depth', [1, 2, 3], now - 5_000_000_000n)], 'meter'), metricsObject([gauge('pool.size', [4, 5], now - 4_000_000_000n)], 'payments')]) {
    t.equal((await post(`${server.url}/v1/metrics`, encodeMetricsProto(request), PROTO)).status, 200);
  }
  const { body } = await getJson(`${server.url}/api/services?start=${hourAgo()}`);
  const by = Object.fromEntries(body.services.map((s: ServiceSummary) => [s.service_name, s]));
  t.same(Object.keys(by), ['db', 'frontend', 'meter', 'payments'], 'sorted by name');
  t.match(by.frontend, { spans: 4, logs: 4, points: 0 });
  t.match(by.payments, { spans: 6, logs: 2, points: 2 }, 'the charge, the network call and the unrelated span, twice; two points');
  t.match(by.meter, { spans: 0, logs: 0, points: 3 }, 'a service with metrics only is listed');
  t.equal(by.meter.first_seen, String(now - 5_000_000_000n), 'its first time is its first point');
  t.ok(BigInt(by.frontend.first_seen) <= BigInt(by.frontend.last_seen));
});

t.test('bad parameters → 400 with a message naming the parameter', async (t) => {
  const cases: Array<[string, string]> = [
    ['/api/traces?start=yesterday', 'start'],
    ['/api/traces?end=2026-02-30T00:00:00Z', 'end'],
    ['/api/traces?start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z', 'start'],
    ['/api/traces?limit=0', 'limit'],
    ['/api/traces?limit=-5', 'limit'],
    ['/api/traces?minDurationMs=fast', 'minDurationMs'],
    ['/api/traces?minDurationMs=9&maxDurationMs=1', 'minDurationMs'],
    ['/api/traces?status=broken', 'status'],
    ['/api/traces?attr=novalue', 'attr'],
    ['/api/traces?servce=x', 'servce'],
    ['/api/traces?service=a&service=b', 'service'],
    [`/api/traces?name=${'x'.repeat(2000)}`, 'name'],
    ['/api/logs?severity=99', 'severity'],
    ['/api/logs?traceId=xyz', 'traceId'],
    ['/api/logs?start=99999999999999999999', 'start'],
    ['/api/services?limit=5', 'limit'],
    ['/api/tail?signal=metrics', 'signal'],
    ['/api/tail?signal=spans&severity=error', 'severity'],
    [`/api/traces/${sent.traceId}?x=1`, 'x'],
  ];
  for (const [url, param] of cases) {
    const r = await getJson(`${server.url}${url}`);
    t.equal(r.status, 400, `${url.slice(0, 80)} → 400`);
    t.match(r.body.message, new RegExp(`^GLUST_ERR_API_PARAM: parameter '${param}'`), `names ${param}`);
    t.equal(r.body.code, 3, 'google.rpc.Code INVALID_ARGUMENT');
  }
});

t.test('injection-looking parameters are plain values', async (t) => {
  const evil = ["x' OR '1'='1", "'; DROP TABLE spans; --", "\\' UNION SELECT 1 --", '$p0', "') FROM read_text('/etc/passwd') --"];
  for (const value of evil) {
    const e = encodeURIComponent(value);
    for (const url of [`/api/traces?service=${e}`, `/api/traces?name=${e}`, `/api/traces?attr=${e}:${e}`, `/api/logs?q=${e}`, `/api/logs?service=${e}`]) {
      const r = await getJson(`${server.url}${url}&start=${hourAgo()}`);
      t.equal(r.status, 200, `${url} answered`);
      t.same(r.body.traces ?? r.body.logs, [], 'and matched nothing');
    }
  }
  const still = await getJson(`${server.url}/api/traces/${sent.traceId}`);
  t.equal(still.body.spans.length, 5, 'data intact');
});

t.test('a span file without its trace index is still found (scanned directly)', async (t) => {
  const indexDir = path.join(dataDir, 'trace-index');
  const day = fs.readdirSync(indexDir)[0]!;
  for (const f of fs.readdirSync(path.join(indexDir, day))) fs.rmSync(path.join(indexDir, day, f));
  const r = await getJson(`${server.url}/api/traces/${sent.traceId}`);
  t.equal(r.status, 200);
  t.equal(r.body.spans.length, 5);
});

t.test('the web UI is served, with content types, and no path leaves its folder', async (t) => {
  const index = await fetch(`${server.url}/`);
  t.equal(index.status, 200);
  t.match(index.headers.get('content-type'), 'text/html; charset=utf-8');
  t.match(index.headers.get('content-security-policy'), "default-src 'self'");
  t.match(await index.text(), '<script type="module" src="/ui/app.js">');
  for (const [file, type] of [['/ui/app.js', 'text/javascript'], ['/ui/style.css', 'text/css'], ['/ui/favicon.svg', 'image/svg+xml'], ['/view/trace-tree.js', 'text/javascript']]) {
    const r = await fetch(`${server.url}${file}`);
    t.equal(r.status, 200, file);
    t.match(r.headers.get('content-type'), type, `${file} is ${type}`);
    await r.arrayBuffer();
  }
  // Raw requests: fetch would normalise the dots away before sending.
  for (const p of ['/ui/../package.json', '/ui/%2e%2e/package.json', '/ui/..%2fpackage.json', '/ui/%2e%2e%2f%2e%2e%2fpackage.json', '/ui/..\\..\\package.json', '/ui//etc/passwd', '/view/../../dist/main.js', '/ui/app.js%00.css']) {
    const raw = await rawGet(server.port, p);
    t.match(raw, /^HTTP\/1\.1 404/, `${p} → 404`);
    t.notMatch(raw, /"name": "glust"|root:/, `${p} leaks nothing`);
  }
  const otlp = await fetch(`${server.url}/v1/traces`);
  t.equal(otlp.status, 405, 'GET /v1/traces still reaches the OTLP route');
  const metrics = await fetch(`${server.url}/metrics`);
  t.equal(metrics.status, 200, '/metrics still reaches its route');
  await metrics.arrayBuffer();
  await otlp.arrayBuffer();
  const none = await getJson(`${server.url}/no/such/page`);
  t.equal(none.status, 404);
  t.match(none.body.message, /^GLUST_ERR_HTTP_NOT_FOUND/);
});

/** One Server-Sent Event of /api/tail: a batch of records, `ready`, `dropped` or `closing`. */
interface TailEvent {
  event: string;
  data: { records?: Array<Partial<SpanRecord> & Partial<LogRecord>>; reason?: string };
}

/** Read Server-Sent Events from the tail; `events` fills as they arrive. */
function openTail(url: string) {
  const events: TailEvent[] = [];
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(url, { signal: controller.signal });
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      for (let end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
        const lines = buf.slice(0, end).split('\n');
        buf = buf.slice(end + 2);
        const data = lines.find((l) => l.startsWith('data: '));
        if (data) events.push({ event: lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message', data: JSON.parse(data.slice(6)) });
      }
    }
  })().catch(() => {});
  return { events, close: () => controller.abort(), done };
}

/** What a paused raw socket still receives once resumed, to its end (the last 4 KiB; 15 s at most). */
function readToEnd(socket: net.Socket): Promise<string> {
  return new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => (text = (text + d.toString('latin1')).slice(-4096)));
    socket.once('end', () => resolve(text));
    setTimeout(() => resolve(`${text}\n(no end within 15 s)`), 15_000);
    socket.resume();
  });
}

const records = (events: TailEvent[]) => events.filter((e) => e.event === 'message').flatMap((e) => e.data.records ?? []);

t.test('live tail streams newly acknowledged records, filtered per client', async (t) => {
  const tail = openTail(`${server.url}/api/tail?signal=logs&severity=error`);
  const spans = openTail(`${server.url}/api/tail?signal=spans&service=db`);
  t.teardown(() => {
    tail.close();
    spans.close();
  });
  await eventually(() => tail.events.some((e) => e.event === 'ready') && spans.events.some((e) => e.event === 'ready'));
  // The writer starts forwarding when it hears someone watches: send until records arrive.
  const fresh = await eventually(async () => {
    const s = await sendCheckout(server.url, 'frontend', 1000);
    await new Promise((r) => setTimeout(r, 300));
    return records(tail.events).some((l) => l.trace_id === s.traceId) ? s : null;
  });
  const logs = records(tail.events).filter((l) => l.trace_id === fresh.traceId);
  t.same(logs.map((l) => l.body), ['Payment TIMEOUT for order 42'], 'only ERROR and above');
  t.match(logs[0], { service_name: 'payments', severity_text: 'ERROR', span_id: fresh.ids['POST /charge'] });
  const dbSpans = await eventually(() => {
    const found = records(spans.events).filter((s) => s.trace_id === fresh.traceId);
    return found.length > 0 ? found : null;
  });
  t.same(dbSpans.map((s) => s.name), ['SELECT cart'], 'only service=db spans');
  t.match(dbSpans[0], { kind: 'CLIENT', parent_span_id: fresh.ids['GET /checkout'], duration_ns: '30000000', attributes: { 'db.system': 'postgresql' } });
});

t.test('a tail client that does not read is dropped with a message; ingestion is not slowed', async (t) => {
  // A raw client that sends the request and then stops reading.
  const slow = net.connect(server.port, '127.0.0.1');
  await new Promise((r) => slow.once('connect', r));
  slow.write('GET /api/tail?signal=logs HTTP/1.1\r\nHost: x\r\n\r\n');
  slow.pause();
  // A well-behaved client on the same server (its filter keeps the flood away from it).
  const fast = openTail(`${server.url}/api/tail?signal=logs&service=after`);
  t.teardown(() => {
    fast.close();
    slow.destroy();
  });
  await eventually(() => fast.events.some((e) => e.event === 'ready'));

  // 8 KiB bodies, 100 records a request: the tail carries about 8 MB/s (the writer forwards at
  // most 1000 records a second), far more than a paused socket's buffers hold.
  // Ingestion going on is "every export acknowledged": a writer held up by the slow client would
  // leave the decoders without ring room past --writer-wait-ms, and they would answer 503. No
  // latency threshold: how fast the exports are is the benchmarks' business (bench/), and this
  // machine is shared.
  const body = 'x'.repeat(8192);
  const latencies: number[] = [];
  const failed: string[] = [];
  // The slow client reads again as soon as the server has counted the drop: its last event waits
  // in uWS's buffer behind the unread flood, and uWS closes a connection that makes no progress
  // for about 10 s, so a reader that waited for the whole flood on a busy machine lost it.
  let slowText: Promise<string> | null = null;
  for (let i = 0; i < 80; i++) {
    const started = performance.now();
    const r = await post(`${server.url}/v1/logs`, logsRequest(Array.from({ length: 100 }, () => ({ time: BigInt(Date.now()) * 1_000_000n, body, severity: 9 })), 'flood'), PROTO);
    latencies.push(performance.now() - started);
    if (r.status !== 200) failed.push(`export ${i}: ${r.status} ${r.body.toString('latin1').slice(0, 200)}`);
    if (slowText === null && /^glust_api_tail_dropped_total [1-9]/m.test(await (await fetch(`${server.url}/metrics`)).text())) slowText = readToEnd(slow);
  }
  t.same(failed, [], 'all 80 exports acknowledged while the slow client was attached');
  latencies.sort((a, b) => a - b);
  t.comment(`export latency while the slow client was attached: median ${latencies[40]!.toFixed(0)} ms, max ${latencies[79]!.toFixed(0)} ms`);
  // Now read what the server left for the slow client: its last words, then the end.
  t.ok(slowText, 'the server counted the slow client as dropped during the flood (glust_api_tail_dropped_total)');
  const tailText = await (slowText ?? readToEnd(slow));
  t.match(tailText, /event: dropped\ndata: \{"reason":"client read too slowly/, 'the slow client got the dropped event');
  t.notMatch(tailText, /no end within/, 'and its connection was closed');
  // Repeated: the writer's rate window may count the first record after the flood as skipped.
  await eventually(async () => {
    await post(`${server.url}/v1/logs`, logsRequest([{ time: BigInt(Date.now()) * 1_000_000n, body: 'after the drop' }], 'after'), PROTO);
    await new Promise((r) => setTimeout(r, 200));
    return records(fast.events).some((l) => l.body === 'after the drop');
  });
  t.notOk(fast.events.some((e) => e.event === 'dropped'), 'the reading client was not dropped');
  t.pass('and still receives records');
});

t.test('the query queue is bounded: 503 with Retry-After when it is full', async (t) => {
  // A day of 2 million log records, so each search takes a while.
  const { dir, start, end } = await bulkLogsDir(2_000_000);
  const bulk = await startServer({ dataDir: dir });
  t.teardown(() => bulk.kill());
  const url = `${bulk.url}/api/logs?q=no-such-text&start=${start}&end=${end}`;
  // The deadline of each search (QUERY_TIMEOUT_MS, counted from when it was queued) bounds the
  // wait; this one only turns a hang into a failure.
  const answers = await Promise.all(Array.from({ length: 40 }, () => fetch(url, { signal: AbortSignal.timeout(120_000) }).then(async (r) => ({ status: r.status, retry: r.headers.get('retry-after'), body: await r.text() }))));
  const code = (a: { body: string }) => /GLUST_ERR_[A-Z_]+/.exec(a.body)?.[0];
  const refused = answers.filter((a) => a.status === 503 && code(a) === 'GLUST_ERR_API_OVERLOAD');
  const accepted = answers.filter((a) => !refused.includes(a));
  t.ok(refused.length > 0, `${refused.length} of 40 concurrent searches refused`);
  t.ok(accepted.length >= MAX_QUEUED_QUERIES, `${accepted.length} accepted: the queue takes ${MAX_QUEUED_QUERIES} before it refuses`);
  // Each accepted search is answered: with its results, or, when the machine is too slow for all
  // of them to run inside their deadline, with the deadline's own coded 503 (that is the bound
  // working, not a failure).
  const answered = accepted.filter((a) => a.status === 200 || (a.status === 503 && code(a) === 'GLUST_ERR_API_TIMEOUT'));
  t.same(accepted.filter((a) => !answered.includes(a)).map((a) => `${a.status} ${a.body.slice(0, 200)}`), [], 'the queued ones answered');
  const withResults = answered.filter((a) => a.status === 200).length;
  t.ok(withResults > 0, `${withResults} with results, ${answered.length - withResults} at their deadline: the first one, which did not wait, ran to its end`);
  t.equal(refused[0]?.retry, '1');
  t.match(refused[0]?.body, /GLUST_ERR_API_OVERLOAD/);
  t.equal((await fetch(`${bulk.url}/api/services`)).status, 200, 'and the server answers again afterwards');
});
