/**
 * Metrics over OTLP/gRPC with the official exporter. The gRPC acceptor maps MetricsService to the
 * signal named `metrics` in SIGNALS (src/otlp/signals.ts); a build without that signal answers
 * UNIMPLEMENTED (test/grpc.test.ts checks that), and this test is skipped saying so.
 */
import t from 'tap';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { SIGNALS } from '../dist/otlp/signals.js';
import { scrapeMetrics } from './helpers/metrics.js';
import { eventually, startServer } from './helpers/server.js';

const hasMetrics = SIGNALS.some((s) => (s.name as string) === 'metrics');

t.test('metrics via the official OTLP/gRPC exporter, with and without gzip', { skip: hasMetrics ? false : 'this build has no `metrics` row in SIGNALS (src/otlp/signals.ts): MetricsService answers UNIMPLEMENTED' }, async (t) => {
  const server = await startServer({ args: ['--grpc-listen', '127.0.0.1:0', '--flush-ms', '200'] });
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
    await provider.shutdown();
  }
  const accepted = await eventually(async () => {
    const m = await scrapeMetrics(server.url);
    const n = m.get('glust_records_accepted_total{signal="metrics"}') ?? 0;
    return n > 0 ? n : null;
  });
  t.ok(accepted > 0, `${accepted} metric records accepted from ${points} data points sent`);
  t.equal(await server.stop(), 0);
});
