/**
 * /metrics and /health after real ingestion: the counters move by exactly what was sent,
 * rejected and refused, the writer's figures arrive, and readiness follows storage failures.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { PROTO, logsRequest, nowNs, randomSpanId, randomTraceId, spansRequest } from './helpers/otlp.js';
import { parseMetrics } from './helpers/metrics.js';
import { eventually, post, startServer } from './helpers/server.js';

/** The parts of GET /health's body this test reads. */
interface HealthJson {
  ready: boolean;
  reasons: string[];
  version: string;
  uptimeSeconds: number;
  ackLatencyMs: { count: number; p50: number; p99: number };
  rings: { body: { capacity: number } };
  tables: Record<string, { lagRows: number }>;
  [more: string]: unknown;
}


async function scrape(url: string) {
  const res = await fetch(`${url}/metrics`);
  t.equal(res.headers.get('content-type')?.split(';')[0], 'text/plain');
  return parseMetrics(await res.text());
}

t.test('counters, histograms and writer gauges after ingesting spans and logs', async (t) => {
  const server = await startServer({ args: ['--flush-ms', '200'] });
  t.teardown(() => server.kill());
  const before = await scrape(server.url);
  t.equal(before.get('glust_build_info{version="0.1.0"}'), 1);

  const traceId = randomTraceId();
  const spans = spansRequest([
    { traceId }, { traceId }, { traceId },
    { traceId: new Uint8Array(16), spanId: randomSpanId() }, // rejected: zero trace id
  ]);
  for (let i = 0; i < 5; i++) t.equal((await post(`${server.url}/v1/traces`, spans, PROTO)).status, 200);
  const logs = logsRequest([{ time: nowNs(), body: 'a' }, { body: 'no time' }]);
  for (let i = 0; i < 2; i++) t.equal((await post(`${server.url}/v1/logs`, logs, PROTO)).status, 200);
  t.equal((await post(`${server.url}/v1/traces`, 'x', { 'Content-Type': 'text/plain' })).status, 415);

  const m = await eventually(async () => {
    const s = await scrape(server.url);
    return s.get('glust_parquet_written_rows_total{table="spans"}') === 15 && s.get('glust_parquet_written_rows_total{table="logs"}') === 2 ? s : null;
  });
  t.equal(m.get('glust_requests_total{signal="traces",status="200"}'), 5);
  t.equal(m.get('glust_requests_total{signal="traces",status="415"}'), 1);
  t.equal(m.get('glust_requests_total{signal="logs",status="200"}'), 2);
  t.equal(m.get('glust_records_received_total{signal="traces"}'), 20);
  t.equal(m.get('glust_records_accepted_total{signal="traces"}'), 15);
  t.equal(m.get('glust_records_rejected_total{signal="traces",reason="GLUST_REJECT_TRACE_ID"}'), 5);
  t.equal(m.get('glust_records_accepted_total{signal="logs"}'), 2);
  t.equal(m.get('glust_records_rejected_total{signal="logs",reason="GLUST_REJECT_LOG_TIME"}'), 2);
  t.equal(m.get('glust_ack_duration_seconds_count{signal="traces"}'), 5, 'one ack latency per accepted request');
  t.equal(m.get('glust_request_duration_seconds_count{signal="traces"}'), 6, 'one request latency per answer');
  t.ok(m.get('glust_ack_duration_seconds_bucket{le="+Inf",signal="logs"}') === 2);
  t.ok(m.get('glust_wal_fsyncs_total')! >= 1, 'group commits counted');
  t.ok(m.get('glust_parquet_files{table="spans"}')! >= 1);
  t.ok(m.get('glust_parquet_bytes{table="spans"}')! > 0);
  t.ok(m.get('glust_parquet_written_bytes_total{table="spans"}')! > 0);
  t.ok(m.get('glust_parquet_flush_duration_seconds_count{table="spans"}')! >= 1);
  t.equal(m.get('glust_writer_lag_records{table="spans"}'), 0, 'nothing waiting once everything is in Parquet');
  t.equal(m.get('glust_ring_capacity_bytes{ring="body"}'), 128 * 1024 * 1024);
  t.equal(m.get('glust_ring_used_bytes{ring="body"}'), 0, 'every body record reclaimed');
  t.equal(m.get('glust_writer_failing'), 0);
  t.ok(m.has('glust_event_loop_delay_seconds{quantile="0.99"}'));
  t.ok(m.has('process_cpu_seconds_total'), 'default process metrics');

  const health = await fetch(`${server.url}/health`);
  t.equal(health.status, 200);
  const h = (await health.json()) as HealthJson;
  t.equal(h.ready, true);
  t.equal(h.version, '0.1.0');
  t.ok(h.uptimeSeconds >= 0);
  t.equal(h.ackLatencyMs.count, 7);
  t.ok(h.ackLatencyMs.p99 > 0 && h.ackLatencyMs.p99 >= h.ackLatencyMs.p50);
  t.equal(h.rings.body.capacity, 128 * 1024 * 1024);
  t.equal(h.tables.spans.lagRows, 0);
  t.same(await (await fetch(`${server.url}/health/live`)).json(), { live: true });
  t.equal(await server.stop(), 0);
});

t.test('readiness turns false while storage fails and back when it heals; refusals are counted', async (t) => {
  const server = await startServer({ args: ['--flush-ms', '100'] });
  t.teardown(() => server.kill());
  const obstacle = path.join(server.dataDir, 'spans', `day=${new Date().toISOString().slice(0, 10)}`);
  fs.writeFileSync(obstacle, 'not a directory');
  t.equal((await post(`${server.url}/v1/traces`, spansRequest([{}]), PROTO)).status, 200);

  const notReady = await eventually(async () => {
    const res = await fetch(`${server.url}/health`);
    return res.status === 503 ? ((await res.json()) as HealthJson) : null;
  });
  t.equal(notReady.ready, false);
  t.match(notReady.reasons[0], /^storage failing: parquet conversion/);
  t.equal((await fetch(`${server.url}/health/live`)).status, 200, 'still live');
  t.equal((await post(`${server.url}/v1/traces`, spansRequest([{}]), PROTO)).status, 503);
  const m = await scrape(server.url);
  t.equal(m.get('glust_writer_failing'), 1);
  t.equal(m.get('glust_requests_refused_total{signal="traces",code="GLUST_ERR_WRITER_FAILED"}'), 1);

  fs.rmSync(obstacle);
  await eventually(async () => (await fetch(`${server.url}/health`)).status === 200, 20_000, 200);
  t.equal((await scrape(server.url)).get('glust_writer_failing'), 0);
  t.equal(await server.stop(), 0);
});
