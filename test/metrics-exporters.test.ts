/**
 * The official OpenTelemetry JS metrics SDK and its OTLP exporters (protobuf and JSON, with and
 * without gzip, cumulative and delta temporality) send every instrument kind to a live server:
 * counter (int values), up-down counter, gauge, histogram and exponential histogram (through a
 * view), over several collections. Every data point the SDK exported is captured on its way to
 * the exporter; the raw Parquet files (read_parquet, no deduplicating view) are compared with
 * those points field by field, and the stored values with what the test itself recorded.
 */
import t from 'tap';
import { ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { AggregationTemporalityPreference, OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { eventually, queryData, startServer } from './helpers/server.js';
import { rawParquet } from './helpers/storage.js';

const server = await startServer({ args: ['--flush-ms', '200'] });
t.teardown(() => server.kill());

type HrTime = [number, number];
const nanos = (h: HrTime) => String(BigInt(h[0]) * 1_000_000_000n + BigInt(h[1]));

/** One stored row as the test compares it: the columns a point of the SDK determines. */
type Row = Record<string, unknown>;

const TYPES: Record<number, string> = {
  [DataPointType.SUM]: 'SUM',
  [DataPointType.GAUGE]: 'GAUGE',
  [DataPointType.HISTOGRAM]: 'HISTOGRAM',
  [DataPointType.EXPONENTIAL_HISTOGRAM]: 'EXPONENTIAL_HISTOGRAM',
};

/** The rows the points of one export should become (null columns left out of the comparison as null). */
function rowsOf(rm: ResourceMetrics): Row[] {
  const rows: Row[] = [];
  for (const scope of rm.scopeMetrics) {
    for (const metric of scope.metrics) {
      const type = TYPES[metric.dataPointType]!;
      for (const p of metric.dataPoints as Array<{ startTime: HrTime; endTime: HrTime; attributes: Record<string, unknown>; value: unknown }>) {
        const row: Row = {
          metric_name: metric.descriptor.name,
          description: metric.descriptor.description,
          unit: metric.descriptor.unit,
          type,
          temporality: type === 'GAUGE' ? null : metric.aggregationTemporality === AggregationTemporality.DELTA ? 'DELTA' : 'CUMULATIVE',
          is_monotonic: metric.dataPointType === DataPointType.SUM ? metric.isMonotonic : null,
          time: nanos(p.endTime),
          start_time: nanos(p.startTime),
          attributes: Object.fromEntries(Object.entries(p.attributes).map(([k, v]) => [k, String(v)])),
          scope_name: scope.scope.name,
          scope_version: scope.scope.version ?? '',
          flags: 0,
          value: null, count: null, sum: null, min: null, max: null, bucket_counts: null, explicit_bounds: null,
          scale: null, zero_count: null, positive_offset: null, positive_bucket_counts: null, negative_offset: null, negative_bucket_counts: null,
        };
        if (type === 'SUM' || type === 'GAUGE') row.value = p.value as number;
        if (type === 'HISTOGRAM') {
          const h = p.value as { count: number; sum: number; min: number; max: number; buckets: { boundaries: number[]; counts: number[] } };
          Object.assign(row, { count: String(h.count), sum: h.sum, min: h.min, max: h.max, bucket_counts: h.buckets.counts.map(String), explicit_bounds: [...h.buckets.boundaries] });
        }
        if (type === 'EXPONENTIAL_HISTOGRAM') {
          const e = p.value as { count: number; sum: number; min: number; max: number; scale: number; zeroCount: number; positive: { offset: number; bucketCounts: number[] }; negative: { offset: number; bucketCounts: number[] } };
          Object.assign(row, {
            count: String(e.count), sum: e.sum, min: e.min, max: e.max, scale: e.scale, zero_count: String(e.zeroCount),
            positive_offset: e.positive.offset, positive_bucket_counts: e.positive.bucketCounts.map(String),
            negative_offset: e.negative.offset, negative_bucket_counts: e.negative.bucketCounts.map(String),
          });
        }
        rows.push(row);
      }
    }
  }
  return rows;
}

/** An exporter in front of the real one: the points it exports become expected rows at once. */
function capturing(inner: PushMetricExporter, expected: Row[], results: number[]): PushMetricExporter {
  return {
    export(metrics, done) {
      expected.push(...rowsOf(metrics));
      inner.export(metrics, (r) => {
        results.push(r.code);
        done(r);
      });
    },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
    selectAggregationTemporality: inner.selectAggregationTemporality?.bind(inner),
    selectAggregation: inner.selectAggregation?.bind(inner),
  };
}

const sortKey = (r: Row) => `${String(r.metric_name)} ${String(r.time)} ${JSON.stringify(r.attributes)}`;
const byKey = (a: Row, b: Row) => sortKey(a).localeCompare(sortKey(b));

const variants = [
  { format: 'proto', gzip: false, temporality: 'cumulative' },
  { format: 'proto', gzip: true, temporality: 'delta' },
  { format: 'json', gzip: false, temporality: 'delta' },
  { format: 'json', gzip: true, temporality: 'cumulative' },
] as const;

for (const v of variants) {
  const label = `${v.format}${v.gzip ? '+gzip' : ''} ${v.temporality}`;
  const service = `metrics-${v.format}${v.gzip ? '-gzip' : ''}-${v.temporality}`;

  t.test(`every instrument kind via the ${label} exporter`, async (t) => {
    const options = {
      url: `${server.url}/v1/metrics`,
      compression: v.gzip ? 'gzip' : 'none',
      temporalityPreference: v.temporality === 'delta' ? AggregationTemporalityPreference.DELTA : AggregationTemporalityPreference.CUMULATIVE,
    } as never;
    const inner = v.format === 'proto' ? new ProtoMetricExporter(options) : new JsonMetricExporter(options);
    const expected: Row[] = [];
    const results: number[] = [];
    // Collections happen when the test says so (forceFlush), never on the timer.
    const reader = new PeriodicExportingMetricReader({ exporter: capturing(inner, expected, results), exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'test' }),
      views: [
        { instrumentName: 'latency', aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [10, 100, 1000], recordMinMax: true } } },
        { instrumentName: 'latency.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 32 } } },
      ],
      readers: [reader],
    });
    t.teardown(() => provider.shutdown());
    const meter = provider.getMeter('glust-metrics-test', '3.1.4');
    const requests = meter.createCounter('requests', { description: 'requests served', unit: '{request}', valueType: ValueType.INT });
    const depth = meter.createUpDownCounter('queue.depth', { description: 'items queued', unit: '{item}' });
    const temperature = meter.createGauge('temperature', { description: 'room temperature', unit: 'Cel' });
    const latency = meter.createHistogram('latency', { description: 'request latency', unit: 'ms' });
    const latencyExp = meter.createHistogram('latency.exp', { description: 'request latency, exponential', unit: 'ms' });

    // What the test recorded, to check the stored values against without the SDK's help.
    const added: Record<string, number> = { '/a': 0, '/b': 0 };
    let depthNow = 0;
    let lastTemperature = NaN;
    const latencies: number[] = [];
    const rounds = [
      { adds: [['/a', 3], ['/b', 1]], depth: [5, -2], temperature: 21.5, latency: [5, 50, 500, 5000] },
      { adds: [['/a', 4]], depth: [1], temperature: 22.25, latency: [0.5, 12] },
      { adds: [['/a', 1], ['/b', 7]], depth: [-3.5], temperature: -1.75, latency: [99.9, 100, 1000.5] },
    ] as const;
    for (const round of rounds) {
      for (const [route, n] of round.adds) {
        requests.add(n, { route });
        added[route]! += n;
      }
      for (const d of round.depth) {
        depth.add(d, { queue: 'main' });
        depthNow += d;
      }
      temperature.record(round.temperature, { room: 'lab' });
      lastTemperature = round.temperature;
      for (const l of round.latency) {
        latency.record(l, { route: '/a' });
        latencyExp.record(l, { route: '/a' });
        latencies.push(l);
      }
      await reader.forceFlush();
    }
    t.same(results, [0, 0, 0], 'three collections, each exported and acknowledged');
    t.ok(expected.length >= 3 * 5, `${expected.length} points exported`);

    const sql = `SELECT metric_name, description, unit, type, temporality, is_monotonic,
        epoch_ns(time)::VARCHAR AS time, epoch_ns(start_time)::VARCHAR AS start_time, attributes, scope_name, scope_version, flags,
        value, count::VARCHAR AS count, sum, min, max, bucket_counts::VARCHAR[] AS bucket_counts, explicit_bounds,
        scale, zero_count::VARCHAR AS zero_count, positive_offset, positive_bucket_counts::VARCHAR[] AS positive_bucket_counts,
        negative_offset, negative_bucket_counts::VARCHAR[] AS negative_bucket_counts
      FROM ${rawParquet(server.dataDir, 'metrics')} WHERE service_name = '${service}'`;
    const stored = await eventually(async () => {
      const rows = await queryData(server.dataDir, sql).catch(() => []);
      return rows.length >= expected.length ? rows : null;
    });
    t.equal(stored.length, expected.length, 'one row per exported point, none twice');
    t.same(stored.sort(byKey), expected.sort(byKey), 'every stored point equals the exported one, field by field');

    const resource = await queryData(server.dataDir, `SELECT DISTINCT resource_attributes AS r FROM ${rawParquet(server.dataDir, 'metrics')} WHERE service_name = '${service}'`);
    t.equal(resource.length, 1);
    t.same(resource[0]!.r, { 'service.name': service, 'deployment.environment': 'test' });

    // The values against what the test recorded: a cumulative series' last point holds the
    // total, delta points add up to it. (The SDK's delta preference keeps up-down counters
    // cumulative, so each metric's stored temporality decides.)
    const total = async (name: string, column: string, attr: string, value: string) => {
      const agg = `CASE WHEN any_value(temporality) = 'DELTA' THEN sum(${column}) ELSE arg_max(${column}, time) END`;
      const r = await queryData(server.dataDir, `SELECT ${agg}::DOUBLE AS v FROM ${rawParquet(server.dataDir, 'metrics')}
        WHERE service_name = '${service}' AND metric_name = '${name}' AND attributes['${attr}'] = '${value}'`);
      return r[0]!.v as number;
    };
    t.equal(await total('requests', 'value', 'route', '/a'), added['/a'], 'counter /a');
    t.equal(await total('requests', 'value', 'route', '/b'), added['/b'], 'counter /b');
    t.equal(await total('queue.depth', 'value', 'queue', 'main'), depthNow, 'up-down counter');
    t.equal(await total('latency', 'count', 'route', '/a'), latencies.length, 'histogram count');
    t.equal(await total('latency.exp', 'count', 'route', '/a'), latencies.length, 'exponential histogram count');
    t.ok(Math.abs((await total('latency', 'sum', 'route', '/a')) - latencies.reduce((a, b) => a + b, 0)) < 1e-9, 'histogram sum');
    const lastGauge = await queryData(server.dataDir, `SELECT arg_max(value, time) AS v FROM ${rawParquet(server.dataDir, 'metrics')}
      WHERE service_name = '${service}' AND metric_name = 'temperature'`);
    t.equal(lastGauge[0]!.v, lastTemperature, 'gauge: the last value recorded');
    const buckets = await queryData(server.dataDir, `SELECT bucket_counts::VARCHAR[] AS b FROM ${rawParquet(server.dataDir, 'metrics')}
      WHERE service_name = '${service}' AND metric_name = 'latency' ORDER BY time DESC LIMIT 1`);
    if (v.temporality === 'cumulative') {
      const want = [0, 0, 0, 0];
      for (const l of latencies) want[l <= 10 ? 0 : l <= 100 ? 1 : l <= 1000 ? 2 : 3]!++;
      t.same(buckets[0]!.b, want.map(String), 'explicit buckets of everything recorded (upper bounds inclusive)');
    }
  });
}
