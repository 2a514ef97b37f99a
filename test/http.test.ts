/**
 * OTLP/HTTP behaviour of a live server: every error status with its google.rpc.Status body in the
 * request's encoding, Retry-After where retryable, partial success, empty requests, the protocol's
 * own example requests, and what gets stored.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import t from 'tap';
import {
  JSON_CT,
  PROTO,
  decodeLogsResponse,
  decodeStatus,
  decodeTraceResponse,
  hex,
  logsRequest,
  nowNs,
  randomSpanId,
  randomTraceId,
  spansRequest,
} from './helpers/otlp.js';
import { EXAMPLES, type StatusJson, eventually, post, queryData, startServer } from './helpers/server.js';

const MAX_BODY = 200_000;
const server = await startServer({ args: ['--flush-ms', '200', '--max-body-bytes', String(MAX_BODY), '--body-ring-bytes', '1MiB'] });
t.teardown(() => server.kill());
const traces = `${server.url}/v1/traces`;
const logs = `${server.url}/v1/logs`;

t.test('404 for unknown paths, with a JSON Status body', async (t) => {
  for (const [method, p] of [['GET', '/no-such-page'], ['POST', '/v1/traces/extra']] as const) {
    const res = await fetch(server.url + p, { method, body: method === 'POST' ? '{}' : undefined, headers: JSON_CT });
    t.equal(res.status, 404, `${method} ${p}`);
    const body = (await res.json()) as StatusJson;
    t.equal(body.code, 5, 'google.rpc.Code NOT_FOUND');
    t.match(body.message, /^GLUST_ERR_HTTP_NOT_FOUND: /);
  }
});

t.test('405 for other methods on OTLP paths, with Allow', async (t) => {
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const res = await fetch(traces, { method });
    t.equal(res.status, 405, method);
    t.equal(res.headers.get('allow'), 'POST');
    t.match(((await res.json()) as StatusJson).message, /GLUST_ERR_HTTP_METHOD_NOT_ALLOWED/);
  }
});

t.test('415 for other content types', async (t) => {
  const res = await post(traces, 'hello', { 'Content-Type': 'text/plain' });
  t.equal(res.status, 415);
  t.equal(res.headers.get('retry-after'), null, 'not retryable');
  const body = JSON.parse(res.body.toString());
  t.equal(body.code, 3);
  t.match(body.message, /GLUST_ERR_HTTP_CONTENT_TYPE.*text\/plain/);
});

t.test('400 for an unknown Content-Encoding, in the request encoding', async (t) => {
  const res = await post(traces, spansRequest([{}]), { ...PROTO, 'Content-Encoding': 'br' });
  t.equal(res.status, 400);
  t.equal(res.headers.get('content-type'), 'application/x-protobuf');
  const status = decodeStatus(res.body);
  t.equal(status.code, 3);
  t.match(status.message, /GLUST_ERR_HTTP_CONTENT_ENCODING.*br/);
});

t.test('413 when the declared or received body is over the limit', async (t) => {
  const big = Buffer.alloc(MAX_BODY + 1, 1);
  const res = await post(traces, big, PROTO);
  t.equal(res.status, 413);
  t.match(decodeStatus(res.body).message, /GLUST_ERR_HTTP_BODY_TOO_LARGE/);
  t.equal(res.headers.get('retry-after'), null);
});

t.test('413 for a gzip bomb: the limit holds while decompressing', async (t) => {
  const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024)); // 50 MiB of zeros in ~50 KiB
  t.ok(bomb.length < MAX_BODY, 'compressed size is under the limit');
  const res = await post(traces, bomb, { ...PROTO, 'Content-Encoding': 'gzip' });
  t.equal(res.status, 413);
  t.match(decodeStatus(res.body).message, /GLUST_ERR_HTTP_BODY_TOO_LARGE: decompressed body exceeds 200000 bytes/);
});

t.test('400 for bodies that do not decode', async (t) => {
  const badGzip = await post(traces, Buffer.from('not gzip at all'), { ...PROTO, 'Content-Encoding': 'gzip' });
  t.equal(badGzip.status, 400);
  t.match(decodeStatus(badGzip.body).message, /GLUST_ERR_DECODE_COMPRESSION/);

  const badProto = await post(traces, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), PROTO);
  t.equal(badProto.status, 400);
  const st = decodeStatus(badProto.body);
  t.equal(st.code, 3);
  t.match(st.message, /GLUST_ERR_DECODE_PROTOBUF/);

  const badJson = await post(logs, '{"resourceLogs": [', JSON_CT);
  t.equal(badJson.status, 400);
  t.match(JSON.parse(badJson.body.toString()).message, /GLUST_ERR_DECODE_JSON/);

  const wrongShape = await post(traces, '{"resourceSpans": {"not": "an array"}}', JSON_CT);
  t.equal(wrongShape.status, 400);
  t.match(JSON.parse(wrongShape.body.toString()).message, /resourceSpans is not an array/);
});

t.test('200 with an empty response for empty requests', async (t) => {
  for (const url of [traces, logs]) {
    const p = await post(url, new Uint8Array(0), PROTO);
    t.equal(p.status, 200);
    t.equal(p.body.length, 0, 'empty Export*ServiceResponse');
    const j = await post(url, '{}', { 'Content-Type': 'application/json; charset=utf-8' });
    t.equal(j.status, 200, 'charset parameter tolerated');
    t.same(JSON.parse(j.body.toString()), {});
  }
});

t.test('partial success: bad spans rejected one by one, the rest stored', async (t) => {
  const good = [randomSpanId(), randomSpanId()];
  const traceId = randomTraceId();
  const start = nowNs();
  const body = spansRequest([
    { traceId, spanId: good[0], start },
    { traceId: new Uint8Array(16), spanId: randomSpanId() }, // all-zero trace id
    { traceId, spanId: good[1], start },
    { traceId, spanId: randomSpanId(), start, end: start - 1n }, // ends before it starts
  ], 'partial-svc');
  const res = await post(traces, body, PROTO);
  t.equal(res.status, 200);
  const decoded = decodeTraceResponse(res.body);
  t.equal(Number(decoded.partialSuccess!.rejectedSpans), 2);
  t.match(decoded.partialSuccess!.errorMessage, /2 spans rejected: 1 GLUST_REJECT_TRACE_ID: .*first at resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[1\]; 1 GLUST_REJECT_END_BEFORE_START/);

  const json = await post(traces, JSON.stringify({
    resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'zz', spanId: '0102030405060708', startTimeUnixNano: '1' }] }] }],
  }), JSON_CT);
  t.equal(json.status, 200);
  const pj = JSON.parse(json.body.toString());
  t.equal(pj.partialSuccess.rejectedSpans, '1', 'int64 as a string in OTLP/JSON');
  t.match(pj.partialSuccess.errorMessage, /GLUST_REJECT_TRACE_ID/);

  const rows = await eventually(async () => {
    const r = await queryData(server.dataDir, `SELECT span_id FROM spans WHERE trace_id = '${hex(traceId)}' ORDER BY span_id`);
    return r.length === 2 ? r : null;
  });
  t.same(rows.map((r) => r.span_id).sort(), good.map(hex).sort(), 'exactly the two good spans stored');
});

t.test('log records: partial success and an absent time stored as NULL', async (t) => {
  const observed = nowNs();
  const body = logsRequest([
    { observed, body: 'only observed time' },
    { body: 'no time at all' },
    { time: observed, body: 'bad trace id', traceId: new Uint8Array(5) },
  ], 'logs-partial');
  const res = await post(logs, body, PROTO);
  t.equal(res.status, 200);
  const decoded = decodeLogsResponse(res.body);
  t.equal(Number(decoded.partialSuccess!.rejectedLogRecords), 2);
  t.match(decoded.partialSuccess!.errorMessage, /GLUST_REJECT_LOG_TIME/);
  t.match(decoded.partialSuccess!.errorMessage, /GLUST_REJECT_LOG_IDS/);
  const rows = await eventually(() => queryData(server.dataDir, `SELECT time, epoch_ns(observed_time) AS o, body FROM logs WHERE service_name = 'logs-partial'`).then((r) => (r.length ? r : null)));
  t.same(rows, [{ time: null, o: observed, body: 'only observed time' }]);
});

t.test('the OTLP example requests are accepted unchanged', async (t) => {
  const cases = [['trace.json', traces], ['logs.json', logs], ['events.json', logs]] as const;
  for (const [file, url] of cases) {
    const res = await post(url, fs.readFileSync(path.join(EXAMPLES, file)), JSON_CT);
    t.equal(res.status, 200, file);
    t.same(JSON.parse(res.body.toString()), {}, `${file}: nothing rejected`);
  }
  const spans = await eventually(() => queryData(server.dataDir, `SELECT * FROM spans WHERE trace_id = '5b8efff798038103d269b633813fc60c'`).then((r) => (r.length ? r : null)));
  t.equal(spans[0]!.span_id, 'eee19b7ec3c1b174', 'uppercase hex ids are stored lowercase');
  t.equal(spans[0]!.parent_span_id, 'eee19b7ec3c1b173');
  t.equal(spans[0]!.kind, 'SERVER');
  t.equal(spans[0]!.service_name, 'my.service');
  const events = await eventually(() => queryData(server.dataDir, `SELECT body, event_name FROM logs WHERE event_name = 'browser.page_view'`).then((r) => (r.length ? r : null)));
  t.same(JSON.parse(events[0]!.body as string), {
    type: 0,
    url: 'https://www.guidgenerator.com/online-guid-generator.aspx',
    referrer: 'https://wwww.google.com',
    title: 'Free Online GUID Generator',
  }, 'a structured body is stored as JSON');
  const metrics = await post(`${server.url}/v1/metrics`, fs.readFileSync(path.join(EXAMPLES, 'metrics.json')), JSON_CT);
  t.equal(metrics.status, 200, 'the metrics example is taken whole');
  t.same(JSON.parse(metrics.body.toString()), {}, 'no partial success');
  const points = await eventually(() => queryData(server.dataDir, `SELECT metric_name, type FROM metrics WHERE service_name = 'my.service' ORDER BY metric_name`).then((r) => (r.length === 4 ? r : null)));
  t.same(points.map((p) => `${p.metric_name} ${p.type}`), ['my.counter SUM', 'my.exponential.histogram EXPONENTIAL_HISTOGRAM', 'my.gauge GAUGE', 'my.histogram HISTOGRAM']);
});

t.test('a chunked request body is read whole', async (t) => {
  const traceId = randomTraceId();
  const payload = spansRequest([{ traceId }, { traceId }, { traceId }], 'chunked-svc');
  const parts = [payload.subarray(0, 10), payload.subarray(10, 40), payload.subarray(40)];
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = parts.shift();
      if (next) {
        await new Promise((r) => setTimeout(r, 20));
        controller.enqueue(next);
      } else controller.close();
    },
  });
  const res = await fetch(traces, { method: 'POST', body: stream, headers: PROTO, duplex: 'half' } as RequestInit);
  t.equal(res.status, 200);
  await eventually(() => queryData(server.dataDir, `SELECT count(*)::INT AS n FROM spans WHERE trace_id = '${hex(traceId)}'`).then((r) => r[0]!.n === 3));
});

t.test('server stops cleanly', async (t) => {
  t.equal(await server.stop(), 0);
});
