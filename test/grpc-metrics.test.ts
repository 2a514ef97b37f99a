/**
 * Metrics over OTLP/gRPC with the official exporter: the gRPC acceptor maps MetricsService to the
 * signal named `metrics` in SIGNALS (src/otlp/signals.ts). The points are read back raw from the
 * Parquet files, field by field.
 */
import t from 'tap';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { scrapeMetrics } from './helpers/metrics.js';
import { eventually, queryData, startServer, tempDataDir } from './helpers/server.js';

t.test('metrics via the official OTLP/gRPC exporter, with and without gzip', async (t) => {
  const dataDir = tempDataDir();
  const server = await startServer({ dataDir, args: ['--grpc-listen', '127.0.0.1:0', '--flush-ms', '200'] });
  t.teardown(() => server.kill());
  let points = 0;
  for (const compression of ['none', 'gzip']) {
    const exporter = new OTLPMetricExporter({ url: `http://127.0.0.1:${server.grpcPort}`, compression } as never);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': `grpc-metrics-${compression}` }), readers: [reader] });
    const meter = provider.getMeter('glust-grpc-test');
    meter.createCounter('grpc.test.requests').add(5, { route: '/a' });
    meter.createHistogram('grpc.test.latency').record(12.5);
    const { resourceMetrics, errors } = await reader.collect();
    t.same(errors, []);
    const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(resourceMetrics, resolve));
    t.equal(result.code, 0, `export with compression ${compression} succeeded${result.error ? `: ${result.error.message}` : ''}`);
    points += 2;
    // Not provider.shutdown(): it collects and exports once more, and the same cumulative state
    // sent twice is two points (stored twice, as sent). The reader's timer is unref'd.
    await exporter.shutdown();
  }
  const accepted = await eventually(async () => {
    const m = await scrapeMetrics(server.url);
    const n = m.get('glust_records_accepted_total{signal="metrics"}') ?? 0;
    return n > 0 ? n : null;
  });
  t.equal(accepted, points, `${accepted} metric records accepted from ${points} data points sent`);
  t.equal(await server.stop(), 0);
  // Raw rows (no deduplicating view): each point once, as the SDK recorded it.
  const rows = await queryData(dataDir, `SELECT service_name, metric_name, type, temporality, is_monotonic, value, count::BIGINT AS count, sum, min, max,
      attributes['route'] AS route FROM read_parquet('${dataDir}/metrics/**/*.parquet') ORDER BY service_name, metric_name`);
  const expected = ['none', 'gzip'].sort((a, b) => `grpc-metrics-${a}`.localeCompare(`grpc-metrics-${b}`)).flatMap((c) => [
    { service_name: `grpc-metrics-${c}`, metric_name: 'grpc.test.latency', type: 'HISTOGRAM', temporality: 'CUMULATIVE', is_monotonic: null, value: null, count: 1n, sum: 12.5, min: 12.5, max: 12.5, route: null },
    { service_name: `grpc-metrics-${c}`, metric_name: 'grpc.test.requests', type: 'SUM', temporality: 'CUMULATIVE', is_monotonic: true, value: 5, count: null, sum: null, min: null, max: null, route: '/a' },
  ]);
  t.same(rows, expected, 'every point stored once, field by field');
});
