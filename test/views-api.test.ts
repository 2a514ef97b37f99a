/**
 * The read API behind issue 15's picture views, against a live server holding telemetry sent by
 * the official exporters (test/helpers/shop.ts): the duration scatter (every matching trace with
 * its start, duration and error; the bound and the match count when it is hit; the search's
 * filters), the log volume (counts per bucket and severity band computed here from the records
 * sent; the search's filters; a retried export counted once), the logs of one span, and empty
 * ranges, bad parameters and unknown trace ids answered clearly. Each answer is checked from the
 * WAL (before conversion) and again from Parquet after a restart.
 */
import t, { type Test } from 'tap';
import type { LogRecord, TraceSummary } from '../dist/view/records.js';
import type { LogVolumeResponse, ScatterPoint, TraceScatterResponse } from '../dist/view/view-records.js';
import { PROTO, logsRequest } from './helpers/otlp.js';
import { type Server, eventually, post, startServer, tempDataDir } from './helpers/server.js';
import { type Shop, sendShop } from './helpers/shop.js';
import { getJson } from './helpers/telemetry.js';

const COUNT = 12;
const GAP_MS = 60_000;
const dataDir = tempDataDir();
// Whole minutes, 20 minutes ago: buckets of the test's own window are then easy to reason about.
const baseMs = Math.floor((Date.now() - 20 * 60_000) / 60_000) * 60_000;
const windowStart = new Date(baseMs - 60_000).toISOString();
const windowEnd = new Date(baseMs + COUNT * GAP_MS).toISOString();
const inWindow = `start=${windowStart}&end=${windowEnd}`;

let server: Server = await startServer({ dataDir, args: ['--flush-ms', '600000'] });
t.teardown(() => server.kill());
const shop: Shop = await sendShop(server.url, { baseMs, count: COUNT, gapMs: GAP_MS });

// A retried export: the same three records twice (same bytes, so the same record hashes).
const retried = logsRequest([0, 1, 2].map((k) => ({ time: BigInt(baseMs + 5_000 + k) * 1_000_000n, severity: 21, severityText: 'FATAL', body: `disk gone ${k}` })), 'storage');
for (let i = 0; i < 2; i++) {
  const res = await post(`${server.url}/v1/logs`, retried, PROTO);
  if (res.status !== 200) throw new Error(`setting up: POST /v1/logs answered ${res.status}`);
}
const allLogs = [...shop.logs, ...[0, 1, 2].map((k) => ({ timeNs: BigInt(baseMs + 5_000 + k) * 1_000_000n, severity: 21, service: 'storage', traceId: null, spanId: null }))];
const spanCount = shop.traces.reduce((n, tr) => n + tr.spans, 0);

const BANDS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const band = (n: number) => (n === 0 ? 'UNSET' : BANDS[Math.min(Math.floor((n - 1) / 4), 5)]!);

/** The volume this test expects from the records it sent: bucket start → band → count. */
function expectedVolume(logs: typeof allLogs, startNs: bigint, stepNs: bigint): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const l of logs) {
    const at = String(startNs + ((l.timeNs - startNs) / stepNs) * stepNs);
    out[at] ??= {};
    out[at][band(l.severity)] = (out[at][band(l.severity)] ?? 0) + 1;
  }
  return out;
}

const byStart = (a: { start_time: string }, b: { start_time: string }) => (BigInt(b.start_time) > BigInt(a.start_time) ? 1 : -1);
const expectedPoints = (traces: Shop['traces']): ScatterPoint[] => traces.map((tr) => ({
  trace_id: tr.traceId, start_time: String(tr.startNs), duration_ns: String(tr.durationNs), error: tr.error,
})).sort(byStart);

/** Wait until every span and record sent is readable. */
async function ready(url: string): Promise<void> {
  await eventually(async () => {
    const s = await getJson(`${url}/api/services?${inWindow}`);
    if (s.status !== 200) return false;
    const spans = s.body.services.reduce((n: number, x: { spans: number }) => n + x.spans, 0);
    const logs = s.body.services.reduce((n: number, x: { logs: number }) => n + x.logs, 0);
    return spans === spanCount && logs === allLogs.length;
  }, 20_000);
}

async function checks(t: Test, url: string): Promise<void> {
  const get = async <T>(p: string) => getJson<T>(`${url}${p}`);

  t.test('the scatter: every matching trace with its start, duration and error', async (t) => {
    const all = await get<TraceScatterResponse>(`/api/traces/scatter?${inWindow}`);
    t.equal(all.status, 200);
    t.same(all.body.points, expectedPoints(shop.traces), 'one point per trace, newest first, durations and errors as sent');
    t.equal(all.body.matched, COUNT);
    t.equal(all.body.limit, 10_000, 'the default bound');

    const errors = await get<TraceScatterResponse>(`/api/traces/scatter?${inWindow}&status=error`);
    t.same(errors.body.points, expectedPoints(shop.traces.filter((tr) => tr.error)), 'status=error: the traces with a failed span');
    const slow = await get<TraceScatterResponse>(`/api/traces/scatter?${inWindow}&service=shop&minDurationMs=150`);
    t.same(slow.body.points, expectedPoints(shop.traces.filter((tr) => tr.durationNs >= 150_000_000n)), 'a duration filter on the root span');
    const pricing = await get<TraceScatterResponse>(`/api/traces/scatter?${inWindow}&service=pricing`);
    t.same(pricing.body.points.map((p) => p.duration_ns), expectedPoints(shop.traces.filter((tr) => tr.spans === 3)).map((p) => p.duration_ns),
      'a trace matched by a child span still shows the whole trace\'s duration');

    // The same traces as the search, whatever page of them the table shows.
    const search = await get<{ traces: TraceSummary[] }>(`/api/traces?${inWindow}&status=error&limit=1000`);
    t.same(errors.body.points.map((p) => [p.trace_id, p.duration_ns]), search.body.traces.map((tr) => [tr.trace_id, tr.duration_ns]), 'the search finds the same traces and durations');
  });

  t.test('the scatter says when its bound was hit', async (t) => {
    const few = await get<TraceScatterResponse>(`/api/traces/scatter?${inWindow}&limit=5`);
    t.equal(few.body.points.length, 5);
    t.same(few.body.points, expectedPoints(shop.traces).slice(0, 5), 'the newest five');
    t.equal(few.body.matched, COUNT, 'and how many matched in all');
    const capped = await get<TraceScatterResponse>(`/api/traces/scatter?${inWindow}&limit=99999`);
    t.equal(capped.body.limit, 10_000, 'a larger limit is capped');
  });

  t.test('the log volume: counts per bucket and severity band, from one grouped query', async (t) => {
    const startNs = BigInt(baseMs - 60_000) * 1_000_000n;
    const v = await get<LogVolumeResponse>(`/api/logs/volume?${inWindow}&step=5m`);
    t.equal(v.status, 200);
    t.equal(v.body.step, String(300_000_000_000n));
    t.equal(v.body.start, String(startNs));
    t.same(Object.fromEntries(v.body.buckets.map((b) => [b.time, b.counts])), expectedVolume(allLogs, startNs, 300_000_000_000n), 'every bucket and band as sent; the retried records once');
    t.equal(v.body.total, allLogs.length);
    t.same(v.body.buckets.map((b) => b.time), [...v.body.buckets.map((b) => b.time)].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1)), 'oldest first');

    const auto = await get<LogVolumeResponse>(`/api/logs/volume?${inWindow}`);
    t.equal(auto.body.step, String(10_000_000_000n), 'a 13-minute window gets 10 s buckets (at most 120)');
    t.equal(auto.body.total, allLogs.length);

    const warn = await get<LogVolumeResponse>(`/api/logs/volume?${inWindow}&step=1m&severity=warn`);
    const warnLogs = allLogs.filter((l) => l.severity >= 13);
    t.same(Object.fromEntries(warn.body.buckets.map((b) => [b.time, b.counts])), expectedVolume(warnLogs, startNs, 60_000_000_000n), 'severity=warn: WARN and up');
    const cron = await get<LogVolumeResponse>(`/api/logs/volume?${inWindow}&step=1m&service=cron&q=SWEEP`);
    t.equal(cron.body.total, COUNT, 'service and body text filters, as the search');
    const search = await get<{ logs: LogRecord[] }>(`/api/logs?${inWindow}&service=cron&q=SWEEP&limit=1000`);
    t.equal(search.body.logs.length, cron.body.total, 'the search finds as many');
  });

  t.test('the logs of one span, and of its trace', async (t) => {
    const failing = shop.traces.find((tr) => tr.error)!;
    const ofSpan = await get<{ logs: LogRecord[] }>(`/api/logs?${inWindow}&traceId=${failing.traceId}&spanId=${failing.dbSpanId}`);
    t.same(ofSpan.body.logs.map((l) => [l.span_id, l.severity_text]), [[failing.dbSpanId, 'ERROR']], 'the db span\'s one record');
    const ofTrace = await get<{ logs: LogRecord[] }>(`/api/logs?${inWindow}&traceId=${failing.traceId}`);
    t.same(ofTrace.body.logs.map((l) => l.span_id).sort(), [failing.dbSpanId, failing.rootSpanId].sort(), 'the trace\'s two records');
    const volume = await get<LogVolumeResponse>(`/api/logs/volume?${inWindow}&traceId=${failing.traceId}&spanId=${failing.rootSpanId}`);
    t.equal(volume.body.total, 1, 'the volume takes the same span filter');
  });

  t.test('empty ranges and unknown ids are answered clearly', async (t) => {
    const empty = 'start=2020-01-01T00:00:00Z&end=2020-01-01T01:00:00Z';
    const scatter = await get<TraceScatterResponse>(`/api/traces/scatter?${empty}`);
    t.equal(scatter.status, 200);
    t.same(scatter.body, { points: [], matched: 0, limit: 10_000 });
    const volume = await get<LogVolumeResponse>(`/api/logs/volume?${empty}`);
    t.equal(volume.status, 200);
    t.same(volume.body.buckets, []);
    t.equal(volume.body.total, 0);
    t.equal(volume.body.step, String(30_000_000_000n), 'an hour gets 30 s buckets');
    const unknown = await get<{ message: string }>('/api/traces/0123456789abcdef0123456789abcdef');
    t.equal(unknown.status, 404);
    t.match(unknown.body.message, /GLUST_ERR_API_NOT_FOUND.*trace 0123456789abcdef0123456789abcdef not found/);
    const noLogs = await get<{ logs: LogRecord[] }>(`/api/logs?${inWindow}&traceId=0123456789abcdef0123456789abcdef&spanId=0123456789abcdef`);
    t.same(noLogs.body.logs, [], 'no logs for a span that does not exist');
  });

  t.test('bad parameters are refused with the parameter named', async (t) => {
    const cases: Array<[string, RegExp]> = [
      [`/api/logs?spanId=xyz`, /parameter 'spanId': 'xyz' is not a span id \(16 hex digits\)/],
      [`/api/logs/volume?${inWindow}&step=100ms`, /parameter 'step': '100ms' makes 7800 buckets of the range; at most 2000 are allowed/],
      [`/api/logs/volume?step=soon`, /parameter 'step': 'soon' is not a duration/],
      [`/api/logs/volume?limit=5`, /parameter 'limit': unknown parameter/],
      [`/api/traces/scatter?status=bad`, /parameter 'status': 'bad' is not unset, ok or error/],
      [`/api/traces/scatter?start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z`, /parameter 'start': must be before end/],
    ];
    for (const [p, message] of cases) {
      const r = await get<{ message: string }>(p);
      t.equal(r.status, 400, p);
      t.match(r.body.message, message, p);
    }
  });
}

await ready(server.url);
t.test('from the WAL, before conversion', (t) => checks(t, server.url));

t.test('from Parquet, after a restart', async (t) => {
  t.equal(await server.stop(), 0);
  server = await startServer({ dataDir, args: ['--flush-ms', '300'] });
  await ready(server.url);
  await checks(t, server.url);
});
