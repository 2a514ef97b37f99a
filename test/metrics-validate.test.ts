/**
 * Validation of metric data points against a live server, with raw protobuf and OTLP/JSON bodies
 * built by hand: each rejection reason drops exactly its points (a 200 with partial_success
 * counting rejected_data_points and naming each reason with its first place), the good points
 * of the same request are stored, and the points the reasons do not apply to (NaN sums, flagged
 * points without values, exemplars, int values, 64-bit counts) are stored as sent.
 */
import t from 'tap';
import { JSON_CT, PROTO, decodeStatus, nowNs } from './helpers/otlp.js';
import { attrs, decodeMetricsResponse, encodeMetricsJson, encodeMetricsProto, gauge, metricsObject } from './helpers/metric-requests.js';
import { eventually, post, queryData, startServer } from './helpers/server.js';
import { rawParquet } from './helpers/storage.js';
import { scrapeMetrics } from './helpers/metrics.js';

const server = await startServer({ args: ['--flush-ms', '200'] });
t.teardown(() => server.kill());

const stored = (service: string, n: number, columns = 'metric_name, type') =>
  eventually(async () => {
    const rows = await queryData(server.dataDir, `SELECT ${columns} FROM ${rawParquet(server.dataDir, 'metrics')} WHERE service_name = '${service}' ORDER BY metric_name, time`).catch(() => []);
    return rows.length >= n ? rows : null;
  });

/** The partial_success of an answer, whichever encoding it came in. */
function partial(body: Buffer, json: boolean): { rejected: number; message: string } {
  if (json) {
    const p = JSON.parse(body.toString()).partialSuccess ?? {};
    return { rejected: Number(p.rejectedDataPoints ?? 0), message: p.errorMessage ?? '' };
  }
  const p = decodeMetricsResponse(body).partialSuccess;
  return { rejected: Number(p?.rejectedDataPoints ?? 0), message: p?.errorMessage ?? '' };
}

const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';

/** Metrics that protobuf can carry: one good point beside each kind of bad one. */
function protobufCase(time: bigint): Record<string, unknown>[] {
  const ts = (i: number) => String(time + BigInt(i));
  return [
    gauge('ok.gauge', [1.5], time, { k: 'v' }),
    // No name: both its points rejected.
    { name: '', gauge: { dataPoints: [{ timeUnixNano: ts(1), asDouble: 1 }, { timeUnixNano: ts(2), asDouble: 2 }] } },
    // No data field at all: one rejection.
    { name: 'no.type', unit: '1' },
    // No time; no value; a flagged point with no value is kept.
    { name: 'sum.mixed', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [
      { asInt: '7' },
      { timeUnixNano: ts(3) },
      { timeUnixNano: ts(4), flags: 1 },
      { timeUnixNano: ts(5), startTimeUnixNano: ts(0), asInt: '9007199254740993', exemplars: [{ timeUnixNano: ts(4), asDouble: 0.25, traceId: TRACE, spanId: SPAN, filteredAttributes: attrs({ user: 'u1' }) }] },
    ] } },
    // Bucket counts that do not match the bounds; and a good histogram with a NaN sum.
    { name: 'hist', histogram: { aggregationTemporality: 1, dataPoints: [
      { timeUnixNano: ts(6), count: '3', bucketCounts: ['1', '2'], explicitBounds: [1, 2] },
      { timeUnixNano: ts(7), count: '18446744073709551615', sum: NaN, bucketCounts: ['1', '2', '18446744073709551612'], explicitBounds: [1, 2], min: -Infinity, max: 3 },
    ] } },
    // An exemplar with a short trace id condemns its point.
    { name: 'gauge.exemplar', gauge: { dataPoints: [{ timeUnixNano: ts(8), asDouble: 1, exemplars: [{ timeUnixNano: ts(8), asDouble: 1, traceId: 'abcd' }] }] } },
    // A summary and an exponential histogram, both good.
    { name: 'summary', summary: { dataPoints: [{ timeUnixNano: ts(9), count: '4', sum: 10, quantileValues: [{ quantile: 0.5, value: 2 }, { quantile: 1, value: 4 }] }] } },
    { name: 'exp', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: ts(10), count: '5', sum: 12, scale: -3, zeroCount: '1', positive: { offset: -2, bucketCounts: ['1', '3'] }, negative: { offset: 4, bucketCounts: ['0'] } }] } },
  ];
}

for (const format of ['proto', 'json'] as const) {
  t.test(`${format}: each reason rejects its points, the rest of the request is stored`, async (t) => {
    const service = `validate-${format}`;
    const time = nowNs();
    const request = metricsObject(protobufCase(time), service);
    const res = format === 'proto'
      ? await post(`${server.url}/v1/metrics`, encodeMetricsProto(request), PROTO)
      : await post(`${server.url}/v1/metrics`, encodeMetricsJson(request), JSON_CT);
    t.equal(res.status, 200);
    const p = partial(res.body, format === 'json');
    t.equal(p.rejected, 2 + 1 + 2 + 1 + 1, 'rejected_data_points');
    const where = 'resourceMetrics[0].scopeMetrics[0].metrics';
    for (const [code, count, first] of [
      ['GLUST_REJECT_METRIC_NAME', 2, `${where}[1].gauge.dataPoints[0]`],
      ['GLUST_REJECT_METRIC_TYPE', 1, `${where}[2]`],
      ['GLUST_REJECT_POINT_TIME', 1, `${where}[3].sum.dataPoints[0]`],
      ['GLUST_REJECT_POINT_VALUE', 1, `${where}[3].sum.dataPoints[1]`],
      ['GLUST_REJECT_BUCKET_COUNTS', 1, `${where}[4].histogram.dataPoints[0]`],
      ['GLUST_REJECT_EXEMPLAR_IDS', 1, `${where}[5].gauge.dataPoints[0]`],
    ] as const) {
      t.match(p.message, new RegExp(`${count} ${code}: [^;]*, first at ${first.replace(/[[\].]/g, '\\$&')}(;|$)`), code);
    }
    t.match(p.message, /^7 data points rejected: /);

    const rows = await stored(service, 6, `metric_name, type, temporality, is_monotonic, value, count::VARCHAR AS count, sum, min, max,
      bucket_counts::VARCHAR[] AS bc, explicit_bounds AS eb, flags, epoch_ns(start_time)::VARCHAR AS st, quantiles,
      list_transform(exemplars, e -> {'time': epoch_ns(e.time)::VARCHAR, 'value': e.value, 'trace_id': e.trace_id, 'span_id': e.span_id, 'attributes': e.attributes}) AS exemplars,
      scale, zero_count::VARCHAR AS zc, positive_offset AS po, positive_bucket_counts::VARCHAR[] AS pb, negative_offset AS no, negative_bucket_counts::VARCHAR[] AS nb, attributes`);
    t.same(rows.map((r) => r.metric_name), ['exp', 'hist', 'ok.gauge', 'sum.mixed', 'sum.mixed', 'summary']);
    const [exp, hist, ok, flagged, big, summary] = rows as Record<string, unknown>[] as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    t.match(ok, { type: 'GAUGE', temporality: null, is_monotonic: null, value: 1.5, attributes: { k: 'v' }, flags: 0 });
    t.match(flagged, { type: 'SUM', temporality: 'CUMULATIVE', is_monotonic: true, value: null, flags: 1, st: null }, 'no recorded value: NULL value, kept');
    t.match(big, { value: 9007199254740992, st: String(time) }, 'an int value beyond 2^53 as the nearest double');
    t.same(big.exemplars, [{ time: String(time + 4n), value: 0.25, trace_id: TRACE, span_id: SPAN, attributes: { user: 'u1' } }], 'the exemplar whole');
    t.match(hist, { type: 'HISTOGRAM', temporality: 'DELTA', count: '18446744073709551615', min: -Infinity, max: 3, bc: ['1', '2', '18446744073709551612'], eb: [1, 2] }, '64-bit counts exact');
    t.ok(Number.isNaN(hist.sum), 'a NaN sum is kept as NaN');
    t.match(summary, { type: 'SUMMARY', count: '4', sum: 10, min: null, max: null, quantiles: [{ quantile: 0.5, value: 2 }, { quantile: 1, value: 4 }] });
    t.match(exp, { type: 'EXPONENTIAL_HISTOGRAM', count: '5', sum: 12, scale: -3, zc: '1', po: -2, pb: ['1', '3'], no: 4, nb: ['0'] });
  });
}

t.test('JSON only: negative counts, NaN and fractional counts, two data types, wrong JSON types', async (t) => {
  const service = 'validate-json-only';
  const time = nowNs();
  const ts = (i: number) => String(time + BigInt(i));
  const hist = (i: number, point: Record<string, unknown>) => ({ timeUnixNano: ts(i), explicitBounds: [1], bucketCounts: ['1', '1'], count: '2', ...point });
  const request = metricsObject([
    { name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [
      hist(1, { count: '-2' }),
      hist(2, { bucketCounts: ['1', -1] }),
      hist(3, { count: 'NaN' }),
      hist(4, { count: 2.5 }),
      hist(5, { count: '18446744073709551616' }),
      hist(6, {}),
    ] } },
    { name: 'e', exponentialHistogram: { dataPoints: [{ timeUnixNano: ts(7), count: '1', zeroCount: '-1' }] } },
    { name: 'both', gauge: { dataPoints: [{ timeUnixNano: ts(8), asDouble: 1 }] }, sum: { dataPoints: [{ timeUnixNano: ts(8), asDouble: 1 }] } },
    { name: 'strange', counter: { dataPoints: [{ timeUnixNano: ts(9), asDouble: 1 }] } },
    { name: 'types', gauge: { dataPoints: [{ timeUnixNano: ts(10), asDouble: 'lots' }, 'not a point', { timeUnixNano: ts(11), asDouble: '2.5' }, { timeUnixNano: ts(12), asDouble: 'Infinity' }] } },
    { name: 'mono', sum: { isMonotonic: 'yes', dataPoints: [{ timeUnixNano: ts(13), asDouble: 1 }, { timeUnixNano: ts(14), asDouble: 2 }] } },
  ], service);
  // A scope that is not one (its version a list): each point of each metric under it counts.
  (request.resourceMetrics as Array<{ scopeMetrics: unknown[] }>)[0]!.scopeMetrics.push({
    scope: { name: 'bad', version: [] },
    metrics: [{ name: 'under-bad-scope', gauge: { dataPoints: [15, 16, 17].map((i) => ({ timeUnixNano: ts(i), asDouble: i })) } }],
  });
  const res = await post(`${server.url}/v1/metrics`, encodeMetricsJson(request), JSON_CT);
  t.equal(res.status, 200);
  const p = partial(res.body, true);
  t.equal(p.rejected, 5 + 1 + 2 + 1 + 2 + 2 + 3, 'rejected_data_points: a metric rejected whole counts each of its points');
  // Wrong types: 'lots', 'not a point', the two points of 'mono', the three under the bad scope.
  t.match(p.message, /; 7 GLUST_REJECT_FIELD_TYPE: /);
  t.match(p.message, /3 GLUST_REJECT_NEGATIVE_COUNT: a count is negative \(count is -2\), first at resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\]\.histogram\.dataPoints\[0\]/);
  t.match(p.message, /3 GLUST_REJECT_COUNT_NOT_INTEGER: a count is NaN or not an unsigned 64-bit integer \(count is "NaN"\), first at [^;]*metrics\[0\]\.histogram\.dataPoints\[2\]/);
  t.match(p.message, /3 GLUST_REJECT_METRIC_TYPE: [^;]*\(gauge and sum\), first at [^;]*metrics\[2\]\.gauge\.dataPoints\[0\]/);
  t.match(p.message, /GLUST_REJECT_FIELD_TYPE/);
  const rows = await stored(service, 3, 'metric_name, value, count::VARCHAR AS count');
  t.same(rows, [
    { metric_name: 'h', value: null, count: '2' },
    { metric_name: 'types', value: 2.5, count: null },
    { metric_name: 'types', value: Infinity, count: null },
  ], 'only the good points: a numeric string and "Infinity" are doubles in OTLP/JSON');
});

t.test('a body that is not a metrics request fails whole, as for traces', async (t) => {
  const bad = await post(`${server.url}/v1/metrics`, Buffer.from([0x0a, 0xff, 0xff]), PROTO);
  t.equal(bad.status, 400);
  t.match(decodeStatus(bad.body).message, /^GLUST_ERR_DECODE_PROTOBUF: invalid metrics protobuf body/);
  const json = await post(`${server.url}/v1/metrics`, '{"resourceMetrics": {}}', JSON_CT);
  t.equal(json.status, 400);
  t.match(JSON.parse(json.body.toString()).message, /^GLUST_ERR_DECODE_JSON: resourceMetrics is not an array/);
  const empty = await post(`${server.url}/v1/metrics`, new Uint8Array(0), PROTO);
  t.equal(empty.status, 200, 'an empty request is an empty success');
});

t.test('/metrics and /health count the metrics signal like the others', async (t) => {
  const m = await scrapeMetrics(server.url);
  // The two runs of the first test (7 rejected each), the JSON-only test (16), nothing else.
  t.equal(m.get('glust_records_rejected_total{signal="metrics",reason="GLUST_REJECT_METRIC_NAME"}'), 4);
  t.equal(m.get('glust_records_rejected_total{signal="metrics",reason="GLUST_REJECT_NEGATIVE_COUNT"}'), 3);
  t.equal(m.get('glust_records_accepted_total{signal="metrics"}'), 6 + 6 + 3);
  t.equal(m.get('glust_requests_total{signal="metrics",status="200"}'), 4);
  t.equal(m.get('glust_requests_total{signal="metrics",status="400"}'), 2);
  t.ok(m.has('glust_writer_lag_records{table="metrics"}'), 'the writer reports the metrics table');
  const health = await (await fetch(`${server.url}/health`)).json() as { tables: Record<string, unknown>; recordsPerSecond: Record<string, number> };
  t.ok(health.tables.metrics, '/health lists the metrics table');
  t.ok((health.recordsPerSecond.metrics ?? 0) > 0, '/health counts metric points per second');
});

t.test('the same attributes in another order are the same series, stored in key order', async (t) => {
  const time = nowNs();
  const point = (i: number, a: Record<string, string>) => ({ timeUnixNano: String(time + BigInt(i)), asDouble: i, attributes: attrs(a) });
  const metric = (points: unknown[]) => ({ name: 'order.gauge', unit: '1', gauge: { dataPoints: points } });
  // Two senders, one listing the attributes sorted, the other not; and a third series apart.
  const sorted = metricsObject([metric([point(1, { 'a.k': '1', 'b.k': '2', 'c.k': '3' })])], 'order-svc');
  const shuffled = metricsObject([metric([point(2, { 'c.k': '3', 'a.k': '1', 'b.k': '2' }), point(3, { 'b.k': '2', 'c.k': '3', 'a.k': '1' })])], 'order-svc');
  const other = metricsObject([metric([point(4, { 'a.k': '1', 'b.k': '2', 'c.k': 'other' })])], 'order-svc');
  t.equal((await post(`${server.url}/v1/metrics`, encodeMetricsProto(sorted), PROTO)).status, 200);
  t.equal((await post(`${server.url}/v1/metrics`, encodeMetricsJson(shuffled), JSON_CT)).status, 200);
  t.equal((await post(`${server.url}/v1/metrics`, encodeMetricsProto(other), PROTO)).status, 200);
  const rows = await stored('order-svc', 4, 'value, series_id::VARCHAR AS series, map_keys(attributes) AS keys');
  t.same(rows.map((r) => r.keys), [['a.k', 'b.k', 'c.k'], ['a.k', 'b.k', 'c.k'], ['a.k', 'b.k', 'c.k'], ['a.k', 'b.k', 'c.k']], 'stored in key order');
  t.equal(new Set(rows.slice(0, 3).map((r) => r.series)).size, 1, 'one series for the three orders');
  t.not(rows[3]!.series, rows[0]!.series, 'another value is another series');
});
