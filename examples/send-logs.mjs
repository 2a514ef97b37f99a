// One log record, sent with the OpenTelemetry JS SDK. Needs
//   npm install @opentelemetry/api-logs @opentelemetry/sdk-logs @opentelemetry/resources @opentelemetry/exporter-logs-otlp-proto
// The exporter sends to $OTEL_EXPORTER_OTLP_ENDPOINT/v1/logs (default http://localhost:4318).
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';

const provider = new LoggerProvider({
  resource: resourceFromAttributes({ 'service.name': 'checkout' }),
  processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ compression: 'gzip' }) })],
});

provider.getLogger('checkout-example').emit({
  severityNumber: SeverityNumber.WARN,
  severityText: 'WARN',
  body: 'payment gateway timeout after 5000 ms',
  attributes: { 'order.id': 'o-42' },
});

await provider.shutdown(); // exports what is batched, then stops: without it nothing is sent
console.log('sent 1 log record');
