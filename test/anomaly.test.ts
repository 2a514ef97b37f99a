/**
 * The anomaly rule of the service page (src/query/anomaly.ts) at its edges, on made-up buckets:
 * the MAD floor, the minimum requests of a bucket and of its baseline, a drop as well as a rise,
 * a noisy baseline that absorbs a change a steady one would flag, and the lead-in buckets that
 * serve only as baseline.
 */
import t from 'tap';
import { BASELINE_BUCKETS, MIN_BASELINE, MIN_REQUESTS, anomalyRule, findAnomalies } from '../dist/query/anomaly.js';

type B = { time: string; requests: number; error_rate: number; p95_ms: number | null };
const steady = (n: number, p95 = 100, errorRate = 0, requests = 20): B[] => Array.from({ length: n }, (_, i) => ({ time: String(i), requests, error_rate: errorRate, p95_ms: p95 }));
const withLast = (base: B[], last: Partial<B>): B[] => [...base, { time: String(base.length), requests: 20, error_rate: 0, p95_ms: 100, ...last }];

t.test('the floors: 1 percentage point of error rate, 5% of the baseline p95', async (t) => {
  t.same(findAnomalies(withLast(steady(12), { error_rate: 0.03 }), 0), [], '3 points above a steady 0: not more than 3 × the 1-point floor');
  t.same(findAnomalies(withLast(steady(12), { error_rate: 0.031 }), 0).map((a) => [a.metric, a.mad]), [['error_rate', 0.01]]);
  t.same(findAnomalies(withLast(steady(12), { p95_ms: 115 }), 0), [], '15% above a steady p95: exactly 3 × the 5% floor, not flagged');
  t.same(findAnomalies(withLast(steady(12), { p95_ms: 116 }), 0).map((a) => [a.metric, a.direction, a.baseline, a.mad]), [['p95_ms', 'above', 100, 5]]);
  t.same(findAnomalies(withLast(steady(12), { p95_ms: 80 }), 0).map((a) => [a.metric, a.direction]), [['p95_ms', 'below']], 'a drop departs too');
});

t.test('too few requests, too little baseline', async (t) => {
  t.same(findAnomalies(withLast(steady(12), { requests: MIN_REQUESTS - 1, error_rate: 1 }), 0), [], 'a bucket under the minimum is not judged');
  t.same(findAnomalies(withLast(steady(MIN_BASELINE - 1), { error_rate: 1 }), 0), [], 'too short a baseline');
  t.equal(findAnomalies(withLast(steady(MIN_BASELINE), { error_rate: 1 }), 0).length, 1, 'just enough baseline');
  const sparse = withLast(steady(12, 100, 0, MIN_REQUESTS - 1), { error_rate: 1 });
  t.same(findAnomalies(sparse, 0), [], 'baseline buckets under the minimum do not count');
});

t.test('a noisy baseline absorbs what a steady one flags; only the last BASELINE_BUCKETS count', async (t) => {
  const noisy = steady(12).map((b, i) => ({ ...b, p95_ms: i % 2 ? 60 : 140 }));
  t.same(findAnomalies(withLast(noisy, { p95_ms: 200 }), noisy.length), [], 'median 100, MAD 40: 200 is within 3 MAD');
  t.equal(findAnomalies(withLast(steady(12), { p95_ms: 200 }), 12).length, 1, 'the same value against a steady baseline is flagged');
  const old = [...steady(5, 1000), ...steady(BASELINE_BUCKETS)];
  t.same(findAnomalies(withLast(old, { p95_ms: 100 }), old.length), [], 'buckets older than the baseline window are ignored');
  t.same(findAnomalies(withLast(steady(12), { error_rate: 0.5 }), 13), [], 'buckets before `from` are baseline only');
});

t.test('the rule in words names the window', async (t) => {
  t.match(anomalyRule(60), /the 12 buckets before it \(12 min\)/);
  t.match(anomalyRule(900), /\(3 h\)/);
});
