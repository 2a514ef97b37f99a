/**
 * Metric aggregates end to end with the official clients: @opentelemetry/sdk-metrics with the
 * OTLP proto and http/JSON exporters send to a live server over several collections (each
 * `forceFlush` is one collection and one export, and so is each provider's shutdown), then GET /api/metrics/<name>/aggregate is
 * compared with figures computed here from what was recorded:
 *   - a cumulative counter over three collections, one more collection with nothing new (the same
 *     cumulative state exported again), then a restart (a new MeterProvider: new start_time);
 *   - a delta counter; a gauge; an up-down counter (a level);
 *   - a histogram with the SDK's default explicit buckets, and an exponential histogram (a view),
 *     whose percentiles must fall within one bucket of the true ones.
 */
import t from 'tap';
import type { Meter } from '@opentelemetry/api';
import { MeterProvider, PeriodicExportingMetricReader, AggregationType } from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { AggregationTemporalityPreference, OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { startServer } from './helpers/server.js';

const server = await startServer({ args: ['--flush-ms', '300'] });
t.teardown(() => server.kill());
const windowStart = BigInt(Date.now() - 1000) * 1_000_000n;

/** One MeterProvider with one reader; `collect()` is one collection and export. */
function client(opts: { delta?: boolean; json?: boolean; exponential?: string } = {}) {
  const url = `${server.url}/v1/metrics`;
  const temporalityPreference = opts.delta ? AggregationTemporalityPreference.DELTA : AggregationTemporalityPreference.CUMULATIVE;
  const exporter = opts.json ? new JsonExporter({ url, temporalityPreference }) : new ProtoExporter({ url, temporalityPreference });
  // A long interval: exports happen when the test flushes, not on a timer.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout' }),
    readers: [reader],
    views: opts.exponential ? [{ instrumentName: opts.exponential, aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }] : [],
  });
  const meter: Meter = provider.getMeter('metric-read-test', '1.0');
  return { meter, collect: () => reader.forceFlush(), close: () => provider.shutdown() };
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const quantile = (xs: readonly number[], q: number) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(q * xs.length) - 1)]!;

// Cumulative counter: three collections, one with nothing new, then a restart of the process.
const runs = [[3, 4, 5], [2, 6]];
for (const [i, increments] of runs.entries()) {
  const c = client({ json: i === 1 });
  const counter = c.meter.createCounter('orders.placed', { unit: '{order}' });
  for (const inc of increments) {
    counter.add(inc, { channel: 'web' });
    await c.collect();
  }
  if (i === 0) await c.collect(); // the same cumulative state, exported again
  await c.close();
}
// Delta counter, over http/JSON.
const deltas = [10, 20, 5];
{
  const c = client({ delta: true, json: true });
  const counter = c.meter.createCounter('bytes.sent', { unit: 'By' });
  for (const d of deltas) {
    counter.add(d);
    await c.collect();
  }
  await c.close();
}
// A gauge and an up-down counter.
const gaugeValues = [7.5, 9, 3.25];
const upDown = [5, -2, 3];
{
  const c = client();
  const gauge = c.meter.createGauge('queue.depth');
  const level = c.meter.createUpDownCounter('sessions.active');
  for (const [i, v] of gaugeValues.entries()) {
    gauge.record(v);
    level.add(upDown[i]!);
    await c.collect();
  }
  await c.close();
}
// Histograms: default explicit buckets, and exponential through a view.
const latency = [[1, 7, 12, 30], [260, 4, 55, 700, 18]];
const sizes = [[0.5, 1.5, 3], [17, 120, 950, 2.25]];
{
  const c = client({ exponential: 'payload.size' });
  const h = c.meter.createHistogram('request.duration', { unit: 'ms' });
  const e = c.meter.createHistogram('payload.size', { unit: 'KiBy' });
  for (const [i, batch] of latency.entries()) {
    for (const v of batch) h.record(v);
    for (const v of sizes[i]!) e.record(v);
    await c.collect();
  }
  await c.close();
}
const windowEnd = BigInt(Date.now() + 60_000) * 1_000_000n;
const seconds = Number(windowEnd - windowStart) / 1e9;

async function aggregate(name: string, extra = ''): Promise<Record<string, number | string | null>> {
  const res = await fetch(`${server.url}/api/metrics/${name}/aggregate?start=${windowStart}&end=${windowEnd}${extra}`);
  if (res.status !== 200) throw new Error(`${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, number | string | null>;
}
const near = (got: unknown, want: number) => typeof got === 'number' && Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want));

t.test('cumulative counter: every increment once, the repeated state and the restart included', async (t) => {
  const want = sum(runs.flat());
  const r = await aggregate('orders.placed');
  t.ok(near(r.sum, want), `sum ${r.sum} = ${want}`);
  t.ok(near(r.rate, want / seconds), `rate ${r.rate} per second`);
  t.equal(r.unit, '{order}');
  const points = (await (await fetch(`${server.url}/api/metrics/orders.placed?start=${windowStart}&end=${windowEnd}`)).json()) as { points: Array<{ start_time: string; value: number }> };
  // Each collection stored a point: the explicit repeat, and the one every shutdown exports.
  t.equal(points.points.length, runs[0]!.length + 2 + runs[1]!.length + 1, 'every export stored a point');
  t.equal(new Set(points.points.map((p) => p.start_time)).size, 2, 'two start times: the restart');
  const grouped = await aggregate('orders.placed', '&groupBy=channel');
  t.same((grouped.groups as unknown as Array<{ value: string; sum: number }>).map((g) => [g.value, g.sum]), [['web', want]]);
});

t.test('delta counter, gauge, up-down counter', async (t) => {
  const d = await aggregate('bytes.sent');
  t.ok(near(d.sum, sum(deltas)), `delta sum ${d.sum}`);
  t.equal(d.count, deltas.length);
  const g = await aggregate('queue.depth');
  t.equal(g.type, 'GAUGE');
  const samples = [...gaugeValues, gaugeValues.at(-1)!];
  t.equal(g.count, samples.length);
  t.ok(near(g.mean, sum(samples) / samples.length), `gauge mean ${g.mean}`);
  t.equal(g.min, Math.min(...gaugeValues));
  t.equal(g.max, Math.max(...gaugeValues));
  const levels = upDown.map((_, i) => sum(upDown.slice(0, i + 1)));
  // The provider's shutdown exports once more: the last value of each again, a sample like the others.
  levels.push(levels.at(-1)!);
  const u = await aggregate('sessions.active');
  t.ok(near(u.mean, sum(levels) / levels.length), `up-down counter: mean of its levels ${levels.join(', ')}`);
  t.equal(u.max, Math.max(...levels));
  t.equal(u.rate, undefined, 'an up-down counter has no rate');
});

t.test('histograms: counts, sums, extremes, percentiles within a bucket', async (t) => {
  const values = latency.flat();
  const h = await aggregate('request.duration');
  t.equal(h.type, 'HISTOGRAM');
  t.equal(h.count, values.length, 'the second collection counted only for its new values');
  t.ok(near(h.sum, sum(values)), `sum ${h.sum}`);
  t.equal(h.min, Math.min(...values));
  t.equal(h.max, Math.max(...values));
  const stored = (await (await fetch(`${server.url}/api/metrics/request.duration?start=${windowStart}&end=${windowEnd}`)).json()) as { points: Array<{ explicit_bounds: number[] }> };
  const bounds = stored.points[0]!.explicit_bounds;
  for (const [name, q] of [['p50', 0.5], ['p90', 0.9], ['p99', 0.99]] as const) {
    const v = quantile(values, q);
    const i = bounds.findIndex((b) => v <= b);
    const lo = i <= 0 ? Math.min(...values) : bounds[i - 1]!;
    const hi = i < 0 ? Math.max(...values) : bounds[i]!;
    t.ok((h[name] as number) >= lo && (h[name] as number) <= hi, `${name} ${h[name]} in (${lo}, ${hi}], the bucket of ${v}`);
  }
  const all = sizes.flat();
  const e = await aggregate('payload.size');
  t.equal(e.type, 'EXPONENTIAL_HISTOGRAM');
  t.equal(e.count, all.length);
  t.ok(near(e.sum, sum(all)), `sum ${e.sum}`);
  const expo = (await (await fetch(`${server.url}/api/metrics/payload.size?start=${windowStart}&end=${windowEnd}`)).json()) as { points: Array<{ scale: number }> };
  const base = 2 ** (2 ** -Math.min(...expo.points.map((p) => p.scale)));
  for (const [name, q] of [['p50', 0.5], ['p90', 0.9]] as const) {
    const v = quantile(all, q);
    const got = e[name] as number;
    t.ok(got >= v / base - 1e-9 && got <= v * base + 1e-9, `${name} ${got} within a bucket (×${base.toFixed(4)}) of ${v}`);
  }
  const stepped = await aggregate('request.duration', '&step=1h');
  t.equal((stepped.series as unknown as Array<{ count: number }>).reduce((n, b) => n + b.count, 0), values.length, 'the buckets add up to the total');
});
