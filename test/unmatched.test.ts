/**
 * Requests that reach no route: the 404 names the nearest route, an OTLP signal this server does
 * not take is named as such, every one is counted in /metrics by method and nearest route, and
 * the first one of each path is logged once with its sender — checked with the official exporter
 * pointed at a wrong path, and with a profiles request (the one OTLP signal not stored).
 */
import t from 'tap';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { JSON_CT, PROTO, decodeStatus } from './helpers/otlp.js';
import { scrapeMetrics } from './helpers/metrics.js';
import { post, startServer } from './helpers/server.js';

const server = await startServer();
t.teardown(() => server.kill());

/** The Status message of an answer, JSON or protobuf as its Content-Type says. */
function message(res: { headers: Headers; body: Buffer }): string {
  return res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(res.body.toString()).message : decodeStatus(res.body).message;
}

async function ask(method: string, p: string, headers: Record<string, string> = JSON_CT) {
  const res = await fetch(`${server.url}${p}`, { method, headers, body: method === 'GET' ? undefined : '{}' });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

t.test('the official exporter pointed at /v1/trace: 404 with the nearest route, logged once with its User-Agent', async (t) => {
  const exporter = new OTLPTraceExporter({ url: `${server.url}/v1/trace` });
  const provider = new TracerProvider({});
  const span = provider.getTracer('unmatched-test').startSpan('lost span');
  span.end();
  const results = [];
  for (let i = 0; i < 3; i++) {
    results.push(await new Promise<{ code: number; error?: Error & { code?: number } }>((resolve) => exporter.export([span as unknown as ReadableSpan], resolve)));
  }
  await exporter.shutdown();
  t.same(results.map((r) => r.error?.code), [404, 404, 404], 'the exporter got 404 each time (not retryable)');
  // Its Status body is protobuf, like its request; the same request by hand shows the message.
  const res = await post(`${server.url}/v1/trace`, new Uint8Array(0), PROTO);
  t.equal(res.headers.get('content-type'), 'application/x-protobuf');
  t.equal(decodeStatus(res.body).message, 'GLUST_ERR_HTTP_NOT_FOUND: no route for POST /v1/trace; did you mean POST /v1/traces?');
  const logged = server.output().split('\n').filter((l) => l.includes('no route for POST /v1/trace;'));
  t.equal(logged.length, 1, 'four requests, one log line');
  t.match(logged[0], /did you mean POST \/v1\/traces\? \(from 127\.0\.0\.1, User-Agent OTel-OTLP-Exporter-JavaScript\/[\d.]+; logged once per path/);
});

t.test('the nearest route for common mistakes, or none when nothing is near', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['POST', '/v1/traces/', 'POST /v1/traces'],
    ['POST', '/v1/log', 'POST /v1/logs'],
    ['POST', '/traces', 'POST /v1/traces'],
    ['POST', '/v1/traces/v1/traces', 'POST /v1/traces'],
    ['POST', '/otlp/v1/logs', 'POST /v1/logs'],
    ['GET', '/api/trace', 'GET /api/traces'],
    ['GET', '/api/trace/4bf92f3577b34da6a3ce929d0e0e4736', 'GET /api/traces/4bf92f3577b34da6a3ce929d0e0e4736'],
    ['GET', '/api/log', 'GET /api/logs'],
    ['POST', '/metrics', 'GET /metrics'],
    ['GET', '/healt', 'GET /health'],
  ];
  for (const [method, p, nearest] of cases) {
    const res = await ask(method, p);
    t.equal(res.status, 404, `${method} ${p}`);
    t.equal(message(res), `GLUST_ERR_HTTP_NOT_FOUND: no route for ${method} ${p}; did you mean ${nearest}?`);
  }
  for (const p of ['/nothing/here', '/wp-login.php', `/${'x'.repeat(5000)}`]) {
    const res = await ask('GET', p);
    t.equal(message(res), `GLUST_ERR_HTTP_NOT_FOUND: no route for GET ${p}`, `no suggestion for ${p.slice(0, 20)}`);
  }
});

t.test('profiles, not supported: named, with the signals stored, in the request encoding', async (t) => {
  const res = await post(`${server.url}/v1development/profiles`, '{}', JSON_CT);
  t.equal(res.status, 404);
  t.equal(res.headers.get('retry-after'), null, 'not retryable');
  const body = JSON.parse(res.body.toString());
  t.equal(body.code, 12, 'google.rpc.Code UNIMPLEMENTED');
  t.equal(body.message, 'GLUST_ERR_HTTP_SIGNAL_UNSUPPORTED: this server does not take profiles (POST /v1development/profiles); ' +
    'it stores traces (POST /v1/traces), logs (POST /v1/logs) and metrics (POST /v1/metrics). ' +
    'Send profiles elsewhere, or turn the profiles exporter off for this endpoint');
  const proto = await post(`${server.url}/v1development/profiles`, new Uint8Array(0), PROTO);
  t.match(decodeStatus(proto.body).message, /^GLUST_ERR_HTTP_SIGNAL_UNSUPPORTED: this server does not take profiles/, 'protobuf Status for a protobuf request');
  t.equal(message(await ask('POST', '/v1/metric')), 'GLUST_ERR_HTTP_NOT_FOUND: no route for POST /v1/metric; did you mean POST /v1/metrics?', 'metrics are a route now');
});

t.test('counted in /metrics by method and nearest route; each path logged once', async (t) => {
  const m = await scrapeMetrics(server.url);
  t.equal(m.get('glust_requests_unmatched_total{method="POST",route="/v1/traces"}'), 3 + 1 + 3, 'the exporter, the hand-made request, and three cases');
  t.equal(m.get('glust_requests_unmatched_total{method="POST",route="/v1/metrics"}'), 1, 'one near miss of metrics');
  t.equal(m.get('glust_requests_unmatched_total{method="GET",route="/api/traces/:traceId"}'), 1, 'the pattern, not the URL');
  t.equal(m.get('glust_requests_unmatched_total{method="GET",route="none"}'), 3);
  t.equal(m.get('glust_requests_unmatched_total{method="POST",route="/v1development/profiles"}'), 2, 'two requests for profiles');
  const lines = server.output().split('\n').filter((l) => /GLUST_ERR_HTTP_(NOT_FOUND|SIGNAL_UNSUPPORTED)/.test(l));
  const paths = lines.map((l) => /(?:no route for [A-Z]+|take \w+ \(POST) (\S+?)[;)\s]/.exec(l)?.[1]);
  t.equal(new Set(paths).size, paths.length, 'no path logged twice');
  t.equal(lines.length, 1 + 10 + 3 + 1 + 1, 'one line per distinct path');
  t.ok(lines.every((l) => l.length < 1000), 'a 5000-character path is cut short in the log');
});
