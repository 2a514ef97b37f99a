/**
 * The metric aggregates' rules (README "Metric aggregates") on points written straight into an
 * in-memory DuckDB table with the metrics table's columns (src/storage/schema.ts METRICS), read
 * through the same MetricQueries the server runs: cumulative increases with a re-exported state
 * and a restart, a series older than the window, delta sums, gauges, explicit and exponential
 * histograms (with a scale change), time buckets, groups, points without a recorded value, an
 * unknown name. Every expected figure is computed here from the recorded values.
 */
import t, { type Test } from 'tap';
import { GlustError } from '../dist/errors.js';
import { MetricQueries } from '../dist/query/metric-engine.js';
import { parseMetricAggregate, parseMetricList, parseMetricPoints } from '../dist/query/metric-params.js';
import { type Point, createMetricsTable, insertPoints } from './helpers/metric-points.js';
import { duckdbConnection } from './helpers/storage.js';

const conn = await duckdbConnection(t);
await createMetricsTable(conn, 'm');
const queries = new MetricQueries(conn, (_b, _range, where, columns) => `(SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM m WHERE ${where})`);

const S = 1_000_000_000n;
const T0 = 1_800_000_000n * S; // the window: [T0, T0 + 600 s)
const WINDOW = `start=${T0}&end=${T0 + 600n * S}`;

async function insert(points: Point[]): Promise<void> {
  await insertPoints(conn, 'm', points);
}

const aggregate = (name: string, extra = '') => queries.aggregate(parseMetricAggregate(name, `${WINDOW}${extra}`));
const sumOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const close = (t: Test, got: number | null | undefined, want: number, what: string) => t.ok(got != null && Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `${what}: ${got} ≈ ${want}`);

// A cumulative counter, series /a: started in the window, exported every 60 s, once the same
// state twice (a retried export stored twice), once unchanged a minute later, then restarted.
const aIncrements = [5, 7, 0, 4];
const aRestart = [3, 2];
// Series /b: started long before the window; its first point in the window is only a baseline.
const bValues = [100, 110, 125];
{
  const points: Point[] = [];
  let total = 0;
  aIncrements.forEach((inc, i) => {
    total += inc;
    points.push({ name: 'requests', type: 'SUM', temporality: 'CUMULATIVE', mono: true, start: T0 + S, time: T0 + BigInt(10 + 60 * i) * S, value: total, attrs: { route: '/a' } });
  });
  points.push({ ...points[1]! }); // the same state stored twice
  // A point flagged "no recorded value" between them: ignored, and not a restart.
  points.push({ name: 'requests', type: 'SUM', temporality: 'CUMULATIVE', mono: true, start: T0 + S, time: T0 + 215n * S, value: null, flags: 1, attrs: { route: '/a' } });
  total = 0;
  aRestart.forEach((inc, i) => {
    total += inc;
    points.push({ name: 'requests', type: 'SUM', temporality: 'CUMULATIVE', mono: true, start: T0 + 300n * S, time: T0 + BigInt(310 + 60 * i) * S, value: total, attrs: { route: '/a' } });
  });
  bValues.forEach((v, i) => points.push({ name: 'requests', type: 'SUM', temporality: 'CUMULATIVE', mono: true, start: T0 - 3600n * S, time: T0 + BigInt(20 + 60 * i) * S, value: v, attrs: { route: '/b' } }));
  // A point before the window, which must not count.
  points.push({ name: 'requests', type: 'SUM', temporality: 'CUMULATIVE', mono: true, start: T0 - 3600n * S, time: T0 - 30n * S, value: 90, attrs: { route: '/b' } });
  await insert(points);
}

t.test('a cumulative counter: increases, a re-exported state and a restart counted once', async (t) => {
  const a = sumOf(aIncrements) + sumOf(aRestart);
  const b = bValues.at(-1)! - bValues[0]!;
  const r = await aggregate('requests');
  t.equal(r.type, 'SUM');
  close(t, r.sum, a + b, 'sum = increases of both series');
  close(t, r.rate, (a + b) / 600, 'rate per second over the window');
  const g = await aggregate('requests', '&groupBy=route');
  t.same(g.groups!.map((x) => x.value), ['/a', '/b']);
  close(t, g.groups![0]!.sum, a, '/a: its increments, the restart included');
  close(t, g.groups![1]!.sum, b, '/b: last minus its first point in the window');
  const s = await aggregate('requests', '&step=1m');
  t.equal(s.step, String(60n * S));
  // Each increase belongs to the bucket of the point that reported it.
  const expected = new Map<string, number>();
  const add = (time: bigint, v: number) => {
    const at = String(T0 + ((time - T0) / (60n * S)) * 60n * S);
    expected.set(at, (expected.get(at) ?? 0) + v);
  };
  aIncrements.forEach((v, i) => add(T0 + BigInt(10 + 60 * i) * S, v));
  aRestart.forEach((v, i) => add(T0 + BigInt(310 + 60 * i) * S, v));
  bValues.slice(1).forEach((v, i) => add(T0 + BigInt(20 + 60 * (i + 1)) * S, v - bValues[i]!));
  t.same(Object.fromEntries(s.series!.map((x) => [x.time, x.sum])), Object.fromEntries(expected));
  close(t, s.series![0]!.rate, expected.get(s.series![0]!.time)! / 60, 'a bucket\'s rate is per second of the bucket');
  const only = await aggregate('requests', '&attr=route:/b');
  close(t, only.sum, b, 'attr filter');
});

t.test('delta sums add up; gauges aggregate as values', async (t) => {
  const deltas = [10, 20, 30.5];
  const temps = [20, 25, 15.5, 21];
  await insert([
    ...deltas.map((v, i): Point => ({ name: 'bytes', type: 'SUM', temporality: 'DELTA', mono: true, start: T0 + BigInt(60 * i) * S, time: T0 + BigInt(60 * (i + 1)) * S, value: v })),
    ...temps.map((v, i): Point => ({ name: 'temp', type: 'GAUGE', time: T0 + BigInt(30 * (i + 1)) * S, value: v, attrs: { room: i % 2 ? 'b' : 'a' } })),
  ]);
  const d = await aggregate('bytes');
  t.equal(d.count, deltas.length);
  close(t, d.sum, sumOf(deltas), 'delta sum');
  close(t, d.rate, sumOf(deltas) / 600, 'delta rate');
  const g = await aggregate('temp');
  t.equal(g.count, temps.length);
  close(t, g.mean, sumOf(temps) / temps.length, 'gauge mean');
  t.equal(g.min, Math.min(...temps));
  t.equal(g.max, Math.max(...temps));
  t.equal(g.rate, undefined, 'no rate for a gauge');
  const rooms = await aggregate('temp', '&groupBy=room');
  t.same(rooms.groups!.map((x) => [x.value, x.count]), [['a', 2], ['b', 2]]);
});

/** Index of the explicit bucket holding v: (bounds[i-1], bounds[i]]. */
const explicitIndex = (bounds: readonly number[], v: number) => {
  const i = bounds.findIndex((b) => v <= b);
  return i < 0 ? bounds.length : i;
};
/** The value of rank ⌈q·n⌉ among the recorded values. */
const trueQuantile = (values: readonly number[], q: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil(q * values.length) - 1)]!;

t.test('a cumulative explicit histogram: counts, sums, extremes and percentiles from buckets', async (t) => {
  const bounds = [10, 50, 100, 500];
  const first = [3, 7, 12, 45, 49, 60, 80];
  const second = [120, 130, 200, 480, 700, 8, 55];
  const start = T0 + 2n * S;
  const state = (values: readonly number[]): Point => {
    const buckets = new Array(bounds.length + 1).fill(0);
    for (const v of values) buckets[explicitIndex(bounds, v)]++;
    return { name: 'latency', type: 'HISTOGRAM', temporality: 'CUMULATIVE', start, time: T0, bounds, buckets, count: values.length, sum: sumOf(values), min: Math.min(...values), max: Math.max(...values) };
  };
  const all = [...first, ...second];
  await insert([{ ...state(first), time: T0 + 60n * S }, { ...state(all), time: T0 + 120n * S }, { ...state(all), time: T0 + 180n * S }]);
  const r = await aggregate('latency');
  t.equal(r.count, all.length, 'count of recorded values, the re-exported state not counted');
  close(t, r.sum, sumOf(all), 'sum');
  close(t, r.mean, sumOf(all) / all.length, 'mean');
  t.equal(r.min, Math.min(...all));
  t.equal(r.max, Math.max(...all));
  for (const [name, q] of [['p50', 0.5], ['p90', 0.9], ['p95', 0.95], ['p99', 0.99]] as const) {
    const v = trueQuantile(all, q);
    const i = explicitIndex(bounds, v);
    const lo = i === 0 ? Math.min(...all) : bounds[i - 1]!;
    const hi = i === bounds.length ? Math.max(...all) : bounds[i]!;
    const got = r[name]!;
    t.ok(got >= lo && got <= hi, `${name} ${got} lies in the bucket (${lo}, ${hi}] of the true value ${v}`);
  }
  const s = await aggregate('latency', '&step=1m');
  t.same(s.series!.map((x) => x.count), [first.length, second.length, 0], 'per bucket: each collection\'s new values');
});

/** Index of the exponential bucket holding v > 0 at a scale: base^i < v ≤ base^(i+1). */
const expIndex = (v: number, scale: number) => Math.ceil(Math.log2(v) * 2 ** scale) - 1;

t.test('a cumulative exponential histogram whose scale drops between exports', async (t) => {
  const first = [1.5, 2.2, 3.1, 3.3, 4.9];
  const second = [17, 33, 65, 130, 260, 0, 2.5];
  const state = (values: readonly number[], scale: number, time: bigint): Point => {
    const idx = values.filter((v) => v > 0).map((v) => expIndex(v, scale));
    const offset = Math.min(...idx);
    const pos = new Array(Math.max(...idx) - offset + 1).fill(0);
    for (const i of idx) pos[i - offset]++;
    return { name: 'size', type: 'EXPONENTIAL_HISTOGRAM', temporality: 'CUMULATIVE', start: T0 + S, time, scale, zero: values.filter((v) => v === 0).length, posOffset: offset, pos, count: values.length, sum: sumOf(values), min: Math.min(...values), max: Math.max(...values) };
  };
  const all = [...first, ...second];
  await insert([state(first, 3, T0 + 60n * S), state(all, 1, T0 + 120n * S)]);
  const r = await aggregate('size');
  t.equal(r.type, 'EXPONENTIAL_HISTOGRAM');
  t.equal(r.count, all.length);
  close(t, r.sum, sumOf(all), 'sum');
  for (const [name, q] of [['p50', 0.5], ['p90', 0.9], ['p99', 0.99]] as const) {
    const v = trueQuantile(all, q);
    const got = r[name]!;
    // At the coarser scale (1) a bucket spans a factor √2 (0 is the zero bucket): the estimate is within one bucket.
    const ok = v === 0 ? got === 0 : got >= v / Math.SQRT2 - 1e-9 && got <= v * Math.SQRT2 + 1e-9;
    t.ok(ok, `${name} ${got} within one bucket of the true value ${v}`);
  }
});

t.test('groupBy answers the groups with the most points, says how many there are, and totals count them all', async (t) => {
  // Group g<i> has i + 1 points of value i; 40 points lack the attribute (the group null).
  const points: Point[] = [];
  for (let i = 0; i < 30; i++) {
    for (let k = 0; k <= i; k++) points.push({ name: 'queue.depth', type: 'GAUGE', time: T0 + BigInt(1 + k) * S, value: i, attrs: { queue: `g${String(i).padStart(2, '0')}` } });
  }
  for (let k = 0; k < 40; k++) points.push({ name: 'queue.depth', type: 'GAUGE', time: T0 + BigInt(1 + k) * S, value: -1 });
  await insert(points);
  const r = await aggregate('queue.depth', '&groupBy=queue&limit=5&step=1m');
  t.same(r.groups!.map((g) => g.value), ['g26', 'g27', 'g28', 'g29', null], 'the five largest groups, by value, null last');
  t.same(r.groups!.map((g) => g.count), [27, 28, 29, 30, 40]);
  t.same(r.groups!.map((g) => g.mean), [26, 27, 28, 29, -1]);
  t.equal(r.groups_total, 31, 'every group of the window is counted');
  t.equal(r.limit, 5);
  t.equal(r.count, points.length, 'the totals hold the groups left out');
  t.equal(r.series!.reduce((n, b) => n + b.count, 0), points.length, 'so do the overall buckets');
  const all = await aggregate('queue.depth', '&groupBy=queue');
  t.equal(all.groups!.length, 31, 'under the default limit every group is answered');
  t.equal(all.limit, 50);
  t.equal((await aggregate('queue.depth', '&groupBy=queue&limit=5000')).limit, 1000, 'a larger limit is capped');
  t.throws(() => parseMetricAggregate('queue.depth', 'groupBy=queue&limit=0'), { code: 'GLUST_ERR_API_PARAM' });
});

t.test('the list, the points, an unknown name and bad parameters', async (t) => {
  const { metrics } = await queries.list(parseMetricList(WINDOW));
  t.same(metrics.map((m) => [m.metric_name, m.type]), [['bytes', 'SUM'], ['latency', 'HISTOGRAM'], ['queue.depth', 'GAUGE'], ['requests', 'SUM'], ['size', 'EXPONENTIAL_HISTOGRAM'], ['temp', 'GAUGE']]);
  t.same(metrics.find((m) => m.metric_name === 'temp')!.services, ['svc']);
  const { points } = await queries.points(parseMetricPoints('temp', `${WINDOW}&limit=2`));
  t.equal(points.length, 2, 'limit');
  t.ok(BigInt(points[0]!.time) < BigInt(points[1]!.time), 'the newest points, oldest first');
  await t.rejects(aggregate('nope'), { code: 'GLUST_ERR_API_NOT_FOUND' });
  await t.rejects(queries.points(parseMetricPoints('nope', WINDOW)), { code: 'GLUST_ERR_API_NOT_FOUND' });
  const quiet = await queries.aggregate(parseMetricAggregate('temp', `start=${T0 + 3600n * S}&end=${T0 + 7200n * S}`));
  t.equal(quiet.count, 0, 'a known metric with no points in the window: an empty answer, not a 404');
  const bad = (fn: () => unknown, param: RegExp) => {
    try {
      fn();
      t.fail('accepted');
    } catch (err) {
      t.ok(err instanceof GlustError && err.code === 'GLUST_ERR_API_PARAM' && param.test(err.message), (err as Error).message);
    }
  };
  bad(() => parseMetricAggregate('temp', 'step=0s'), /'step'/);
  bad(() => parseMetricAggregate('temp', `${WINDOW}&step=10ms`), /'step'.*buckets/);
  bad(() => parseMetricAggregate('temp', 'groupby=x'), /'groupby': unknown/);
  bad(() => parseMetricPoints('%E0%A4%A', ''), /'name'/);
  bad(() => parseMetricPoints('temp', 'attr=nocolon'), /'attr'/);
});
