// One trace of two spans, sent with the OpenTelemetry JS SDK. Needs
//   npm install @opentelemetry/api @opentelemetry/sdk-trace @opentelemetry/resources @opentelemetry/exporter-trace-otlp-proto
// The exporter sends to $OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces (default http://localhost:4318).
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const provider = new TracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'checkout' }),
  spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ compression: 'gzip' }) })],
});
const tracer = provider.getTracer('checkout-example');

const request = tracer.startSpan('POST /pay', { kind: SpanKind.SERVER, attributes: { 'http.route': '/pay' } });
const charge = tracer.startSpan('charge card', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), request));
charge.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined' });
charge.end();
request.end();

await provider.shutdown(); // exports what is batched, then stops: without it nothing is sent
console.log(`sent trace ${request.spanContext().traceId}`);
