/**
 * GET /api/service-map and GET /api/red (issue 15) against a live server holding spans sent by
 * the official exporter: several services calling each other (CLIENT → SERVER pairs, parent and
 * child across services, a PRODUCER linked from a CONSUMER in another trace), known errors and
 * durations. Every figure is checked against what the test computes from the spans it sent.
 * Also: a single service with no edges, an empty range, bad parameters, the anomaly rule on a
 * made-up spike, and `glust services` / `glust map` against the server and the data directory.
 */
import { spawnSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { MAIN, eventually, startServer, tempDataDir } from './helpers/server.js';
import { N, type SentSpan, expectedMap, expectedStats, isEntry, sendServices } from './helpers/service-telemetry.js';
import { getJson } from './helpers/telemetry.js';
import type { RedResponse, ServiceMapResponse } from '../dist/view/service-records.js';

const dataDir = tempDataDir();
const server = await startServer({ dataDir, args: ['--flush-ms', '300'] });
t.teardown(() => server.kill());

const MIN = 60_000;
// Whole minutes, so buckets of the RED answers fall where the test says.
const t0 = Math.floor(Date.now() / MIN) * MIN - 30 * MIN;
const { sent, spikyStart } = await sendServices(server.url, t0);

const start = new Date(t0).toISOString();
const end = new Date(t0 + 29 * MIN).toISOString();
const url = (path: string, params: Record<string, string>) => `${server.url}${path}?${new URLSearchParams(params)}`;

/** Close enough for figures computed in floating point on two sides (ms with fractions). */
function near(t: Test, got: number | null, want: number | null, what: string): void {
  if (want === null || got === null) return void t.equal(got, want, what);
  t.ok(Math.abs(got - want) < 1e-6 * Math.max(1, Math.abs(want)), `${what}: ${got} ≈ ${want}`);
}

function sameStats(t: Test, got: object, want: object, what: string): void {
  const have = got as Record<string, unknown>;
  for (const [k, v] of Object.entries(want)) {
    if (typeof v === 'number' || v === null) near(t, have[k] as number | null, v as number | null, `${what} ${k}`);
    else t.equal(have[k], v, `${what} ${k}`);
  }
}

// Everything sent is visible (WAL or Parquet) once the map counts every span.
await eventually(async () => {
  const { body } = await getJson<ServiceMapResponse>(url('/api/service-map', { start, end }));
  return body.nodes?.reduce((n, s) => n + s.spans, 0) === sent.length;
}, 30_000);

t.test('service map: nodes and edges as computed from the spans sent', async (t) => {
  const { status, body } = await getJson<ServiceMapResponse>(url('/api/service-map', { start, end }));
  t.equal(status, 200);
  const want = expectedMap(sent);
  t.same(body.nodes.map((n) => n.service_name), want.nodes.map((n) => n.service_name), 'a node per service that sent spans (db sent none)');
  for (const n of want.nodes) sameStats(t, body.nodes.find((x) => x.service_name === n.service_name)!, n, n.service_name);
  t.same(body.edges.map((e) => `${e.caller}→${e.callee}`), ['api→worker', 'web→api'], 'cross-service parent/child and the producer link; no same-service edges');
  for (const e of want.edges) sameStats(t, body.edges.find((x) => x.caller === e.caller && x.callee === e.callee)!, e, `${e.caller}→${e.callee}`);
  const webApi = body.edges.find((e) => e.callee === 'api')!;
  t.equal(webApi.calls, N, 'one call per api request');
  t.equal(webApi.errors, N / 5);
  t.equal(body.edges.find((e) => e.callee === 'worker')!.calls, Math.ceil(N / 3), 'one call per consumed message');
});

t.test('service map of one service: its edges and neighbours; one with no edges; an empty range', async (t) => {
  const api = (await getJson<ServiceMapResponse>(url('/api/service-map', { start, end, service: 'api' }))).body;
  t.same(api.nodes.map((n) => n.service_name), ['api', 'web', 'worker']);
  t.equal(api.edges.length, 2);
  const cron = (await getJson<ServiceMapResponse>(url('/api/service-map', { start, end, service: 'cron' }))).body;
  t.same(cron.edges, [], 'no edges');
  t.same(cron.nodes.map((n) => [n.service_name, n.requests]), [['cron', 6]], 'root spans are its requests');
  const empty = await getJson<ServiceMapResponse>(url('/api/service-map', { start: new Date(t0 - 120 * MIN).toISOString(), end: new Date(t0 - 60 * MIN).toISOString() }));
  t.equal(empty.status, 200);
  t.same([empty.body.nodes, empty.body.edges], [[], []], 'an empty range answers empty lists');
  const unknown = (await getJson<ServiceMapResponse>(url('/api/service-map', { start, end, service: 'nobody' }))).body;
  t.same([unknown.nodes, unknown.edges], [[], []]);
});

t.test('RED: totals, series and top operations as computed from the spans sent', async (t) => {
  const { status, body } = await getJson<RedResponse>(url('/api/red', { service: 'api', start, end, step: '1m' }));
  t.equal(status, 200);
  const entry = sent.filter((s) => s.service === 'api' && isEntry(s));
  t.equal(body.kinds, 'entry');
  sameStats(t, body.totals, expectedStats(entry), 'totals');
  near(t, body.totals.rate, entry.length / (29 * 60), 'rate per second over the window');
  t.equal(body.series.length, 29, 'one bucket per minute of the window');
  t.equal(body.series[0]!.time, String(BigInt(t0) * 1_000_000n), 'buckets start at the window start');
  for (const [i, b] of body.series.entries()) {
    const inBucket = entry.filter((s) => s.startMs >= t0 + i * MIN && s.startMs < t0 + (i + 1) * MIN);
    sameStats(t, b, expectedStats(inBucket), `bucket ${i}`);
  }
  // The operations table counts the same spans (the service's entry spans), per operation.
  t.same(body.operations.map((o) => [o.service_name, o.name, o.requests, o.errors]), [['api', 'GET /items', N, N / 5]]);

  const clients = (await getJson<RedResponse>(url('/api/red', { service: 'api', kind: 'client,producer', start, end }))).body;
  t.same(clients.kinds, ['CLIENT', 'PRODUCER']);
  const want = (name: string) => expectedStats(sent.filter((s) => s.service === 'api' && s.name === name));
  t.same(clients.operations.map((o) => o.name), ['SELECT items', 'publish order'], 'busiest first');
  sameStats(t, clients.operations[0]!, want('SELECT items'), 'SELECT items');
  const one = (await getJson<RedResponse>(url('/api/red', { service: 'api', operation: 'publish order', kind: 'producer', start, end }))).body;
  sameStats(t, one.totals, want('publish order'), 'one operation');

  const all = (await getJson<RedResponse>(url('/api/red', { start, end }))).body;
  sameStats(t, all.totals, expectedStats(sent.filter(isEntry)), 'every service');
  const emptyRed = (await getJson<RedResponse>(url('/api/red', { service: 'api', start: new Date(t0 - 120 * MIN).toISOString(), end: new Date(t0 - 60 * MIN).toISOString() }))).body;
  t.same([emptyRed.totals.requests, emptyRed.totals.p95_ms, emptyRed.operations, emptyRed.anomalies], [0, null, [], []], 'an empty range');
  t.ok(emptyRed.series.every((b) => b.requests === 0 && b.p95_ms === null), 'empty buckets are zero, their percentiles null');
});

t.test('anomalies: the error spike and the slow minute, by the stated rule', async (t) => {
  const from = spikyStart + 6 * MIN;
  const { body } = await getJson<RedResponse>(url('/api/red', { service: 'spiky', start: new Date(from).toISOString(), end: new Date(spikyStart + 16 * MIN).toISOString(), step: '1m' }));
  t.match(body.anomaly_rule, /more than 3 median absolute deviations from the median of the 12 buckets before it \(12 min\)/);
  const ns = (ms: number) => String(BigInt(ms) * 1_000_000n);
  t.same(body.anomalies.map((a) => [a.time, a.metric, a.direction]), [
    [ns(spikyStart + 14 * MIN), 'error_rate', 'above'],
    [ns(spikyStart + 15 * MIN), 'p95_ms', 'above'],
  ], 'the failing minute and the slow one, nothing else');
  const errors = body.anomalies[0]!;
  t.same([errors.value, errors.baseline, errors.mad], [0.8, 0, 0.01], 'value, baseline median and the MAD floor');
  const slow = body.anomalies[1]!;
  const p95 = (base: number) => expectedStats(Array.from({ length: 10 }, (_, k) => ({ durationMs: base + k, error: false }) as SentSpan)).p95_ms!;
  near(t, slow.value, p95(200), 'slow p95');
  near(t, slow.baseline, p95(20), 'baseline p95');
  // The first judged minute (6) has 6 minutes of baseline from before the window: judged, quiet.
  t.equal(body.series.length, 10);
});

t.test('bad parameters are refused with the parameter named', async (t) => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['/api/service-map', { start: end, end: start }, /parameter 'start': must be before end/],
    ['/api/service-map', { operation: 'x' }, /parameter 'operation': unknown parameter \(this endpoint takes service, start, end\)/],
    ['/api/red', { kind: 'server,bogus' }, /parameter 'kind': 'bogus' is not entry or a list of/],
    ['/api/red', { step: 'soon' }, /parameter 'step': 'soon' is not a duration/],
    ['/api/red', { start, end, step: '100ms' }, /parameter 'step': '100ms' makes \d+ buckets of the range; at most 2000/],
    ['/api/red', { start: 'yesterday' }, /parameter 'start': 'yesterday' is not an RFC 3339 time/],
  ];
  for (const [path, params, message] of cases) {
    const { status, body } = await getJson(url(path, params));
    t.equal(status, 400, `${path} ${JSON.stringify(params)}`);
    t.match(body.message, /^GLUST_ERR_API_PARAM: /);
    t.match(body.message, message);
  }
});

function glust(args: string[]) {
  return spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
}

function checkCli(t: Test, source: string[]) {
  const services = glust(['services', '--start', start, '--end', end, ...source]);
  t.equal(services.status, 0, services.stderr);
  const webRow = services.stdout.split('\n').find((l) => l.startsWith('web '))!;
  t.match(webRow, new RegExp(`^web\\s+│ ${N * 2}\\s+│ ${N}\\s+│ ${N / 5}\\s+│ 20%`), 'web: spans, requests, errors, error rate');
  const json = glust(['services', '--start', start, '--end', end, '--json', ...source]);
  const rows = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.same(rows.map((r) => r.service_name), ['api', 'cron', 'spiky', 'web', 'worker']);
  t.equal(rows.find((r) => r.service_name === 'cron').requests, 6);

  const map = glust(['map', '--start', start, '--end', end, ...source]);
  t.equal(map.status, 0, map.stderr);
  t.match(map.stdout, /^caller\s+│ callee\s+│ calls\s+│ errors/);
  t.match(map.stdout, new RegExp(`\\nweb\\s+│ api\\s+│ ${N}\\s+│ ${N / 5}\\s+│ 20%`));
  t.match(map.stdout, /\n\(2 rows\)\n$/);
  const edges = glust(['map', '--service', 'cron', '--start', start, '--end', end, '--json', ...source]);
  t.equal(edges.status, 0);
  t.equal(edges.stdout, '', 'no edges: no lines');
}

t.test('glust services and glust map against the server, then the data directory', async (t) => {
  checkCli(t, ['--server', server.url]);
  t.equal(await server.stop(), 0);
  checkCli(t, ['--data', dataDir]);
  const bad = glust(['map', '--kind', 'server', '--data', dataDir]);
  t.equal(bad.status, 2, 'an unknown flag is a usage error');
  t.match(bad.stderr, /unknown flag --kind/);
  const badTime = glust(['services', '--start', 'soon', '--data', dataDir]);
  t.equal(badTime.status, 1);
  t.match(badTime.stderr, /GLUST_ERR_API_PARAM: parameter 'start'/);
});
