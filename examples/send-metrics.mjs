// A counter and a histogram, sent with the OpenTelemetry JS metrics SDK. Needs
//   npm install @opentelemetry/api @opentelemetry/sdk-metrics @opentelemetry/resources @opentelemetry/exporter-metrics-otlp-proto
// The exporter sends to $OTEL_EXPORTER_OTLP_ENDPOINT/v1/metrics (default http://localhost:4318).
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

const provider = new MeterProvider({
  resource: resourceFromAttributes({ 'service.name': 'checkout' }),
  readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ compression: 'gzip' }), exportIntervalMillis: 10_000 })],
});
const meter = provider.getMeter('checkout-example');

const payments = meter.createCounter('payments', { unit: '{payment}', description: 'payments attempted' });
const duration = meter.createHistogram('payment.duration', { unit: 'ms', description: 'time to charge a card' });
payments.add(3, { outcome: 'ok' });
payments.add(1, { outcome: 'declined' });
for (const ms of [120, 340, 95, 610]) duration.record(ms, { 'http.route': '/pay' });

await provider.shutdown(); // collects and exports once, then stops: without it nothing is sent
console.log('sent 2 metrics');
