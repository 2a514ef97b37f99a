/**
 * Seed corpus for the HTTP mutation fuzzer: real OTLP request bodies as the official
 * OpenTelemetry JS exporters send them (protobuf and JSON, traces and logs), captured by a small
 * node:http server standing in for the collector, plus the OTLP project's own example requests
 * (../shared/otlp-examples, OTLP/JSON).
 *
 * The fuzzer picks and mutates bodies by index and offset from its seed, so the corpus is the
 * same every run: ids from a counter, one export per signal (at forceFlush, never on a timer that
 * could split a batch), bodies in a fixed order. Only the records' times are the run's (their
 * encodings have a fixed length, so every mutation still lands on the same bytes).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, StackContextManager, TracerProvider } from '@opentelemetry/sdk-trace';
import { EXAMPLES } from './server.js';

context.setGlobalContextManager(new StackContextManager().enable());

export type CorpusFormat = 'proto' | 'json';

export interface CorpusBody {
  /** /v1/traces or /v1/logs */
  readonly path: string;
  readonly format: CorpusFormat;
  /** Uncompressed body. */
  readonly body: Buffer;
  /** Where it came from, for failure messages. */
  readonly origin: string;
}

/** Receive every POST on a throwaway server while `send` runs; bodies are decompressed. */
async function capture(send: (url: string) => Promise<void>): Promise<Array<{ path: string; contentType: string; body: Buffer }>> {
  const got: Array<{ path: string; contentType: string; body: Buffer }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      got.push({ path: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), body });
      const json = String(req.headers['content-type']).includes('json');
      res.writeHead(200, { 'Content-Type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    await send(`http://127.0.0.1:${port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  return got;
}

/** Longer than any run: the processors export only when flushed. */
const NO_TIMER_MS = 3_600_000;

/** A trace with nesting, every attribute type, events, a link and an error; and log records. */
async function exportTelemetry(url: string, format: CorpusFormat): Promise<void> {
  const traceExporter = format === 'proto' ? new ProtoTraceExporter({ url: `${url}/v1/traces` }) : new JsonTraceExporter({ url: `${url}/v1/traces` });
  const logExporter = format === 'proto' ? new ProtoLogExporter({ url: `${url}/v1/logs` }) : new JsonLogExporter({ url: `${url}/v1/logs` });
  let nextId = 0;
  const id = (hexDigits: number) => (++nextId).toString(16).padStart(hexDigits, 'a');
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': `corpus-${format}`, 'host.cores': 2, 'deployment.environment': 'fuzz' }),
    idGenerator: { generateTraceId: () => id(32), generateSpanId: () => id(16) },
    spanProcessors: [new BatchSpanProcessor({ exporter: traceExporter, scheduledDelayMillis: NO_TIMER_MS })],
  });
  const tracer = provider.getTracer('glust-fuzz-corpus', '0.1.0');
  const root = tracer.startSpan('GET /cart', {
    kind: SpanKind.SERVER,
    attributes: { 'http.route': '/cart', ok: true, n: 42, ratio: 0.25, tags: ['a', 'b"c'], ints: [1, 2], unicode: 'héllo ✓ 🚀' },
  });
  root.addEvent('cache.miss', { key: 'user:1' });
  const inRoot = trace.setSpan(context.active(), root);
  const other = tracer.startSpan('unrelated');
  other.end();
  const child = tracer.startSpan('SELECT items', { kind: SpanKind.CLIENT, links: [{ context: other.spanContext(), attributes: { why: 'retry' } }] }, inRoot);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'deadlock' });
  child.end();
  root.end();
  const logs = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': `corpus-${format}` }),
    processors: [new BatchLogRecordProcessor({ exporter: logExporter, scheduledDelayMillis: NO_TIMER_MS })],
  });
  const logger = logs.getLogger('glust-fuzz-corpus', '0.1.0');
  logger.emit({ severityNumber: SeverityNumber.INFO, severityText: 'INFO', body: 'cart loaded', attributes: { items: 3 }, context: inRoot });
  logger.emit({ severityNumber: SeverityNumber.ERROR, body: { structured: ['body', 1, true] } as never, attributes: { 'exception.type': 'Deadlock' } });
  await provider.forceFlush();
  await provider.shutdown();
  await logs.forceFlush();
  await logs.shutdown();
}

/** Every seed body: exporter captures in both formats, and the OTLP example requests. */
export async function loadCorpus(): Promise<CorpusBody[]> {
  const corpus: CorpusBody[] = [];
  for (const format of ['proto', 'json'] as const) {
    const captured = await capture((url) => exportTelemetry(url, format));
    // Arrival order is the network's: fix it.
    captured.sort((a, b) => a.path.localeCompare(b.path) || Buffer.compare(a.body, b.body));
    for (const got of captured) {
      corpus.push({ path: got.path, format: got.contentType.includes('json') ? 'json' : 'proto', body: got.body, origin: `${format} exporter ${got.path}` });
    }
  }
  for (const [file, p] of [['trace.json', '/v1/traces'], ['logs.json', '/v1/logs'], ['events.json', '/v1/logs']] as const) {
    const full = path.join(EXAMPLES, file);
    corpus.push({ path: p, format: 'json', body: fs.readFileSync(full), origin: `otlp example ${file}` });
  }
  return corpus;
}
