/**
 * A request refused while its body is still arriving gets its answer every time: the server
 * drains the rest of the body before it answers (src/acceptor/refused-body.ts). Without that, a
 * client that writes its whole body before it reads — undici `fetch`, as used here and by the
 * OpenTelemetry JS exporters — saw a reset (`fetch failed`) in about one attempt of four to ten,
 * so each case below is repeated often enough that a single reset fails it.
 */
import t from 'tap';
import { decodeStatus, spansRequest } from './helpers/otlp.js';
import { parseMetrics } from './helpers/metrics.js';
import { RawConnection } from './helpers/raw-http.js';
import { startServer } from './helpers/server.js';

const LIMIT = 1024 * 1024;
const server = await startServer({ args: ['--max-body-bytes', '1MiB', '--body-ring-bytes', '4MiB'] });
t.teardown(() => server.kill());
const threeMiB = Buffer.alloc(3 * LIMIT, 7);

/** Send `times` requests one after another; the tally of what came back ("413", "fetch failed: EPIPE"). */
async function tally(times: number, path: string, init: () => RequestInit): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < times; i++) {
    let outcome: string;
    try {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', ...init() });
      const body = Buffer.from(await res.arrayBuffer());
      const ct = res.headers.get('content-type') ?? '';
      const message = ct.includes('json') ? JSON.parse(body.toString()).message : decodeStatus(body).message;
      outcome = `${res.status} ${String(message).split(':', 1)[0]}`;
    } catch (err) {
      const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
      outcome = `${(err as Error).message}: ${cause?.code ?? cause?.message}`;
    }
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
}

const PROTO_HEADERS = { 'Content-Type': 'application/x-protobuf' };

t.test('a 3 MiB body with Content-Length over a 1 MiB limit: 413 on every one of 100 attempts', async (t) => {
  t.same(await tally(100, '/v1/traces', () => ({ body: threeMiB, headers: PROTO_HEADERS })), { '413 GLUST_ERR_HTTP_BODY_TOO_LARGE': 100 });
});

t.test('the same without Content-Length (chunked): the limit is passed part-way, still 413 every time', async (t) => {
  const chunked = () => ({
    body: new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 6; i++) c.enqueue(threeMiB.subarray(0, LIMIT / 2));
        c.close();
      },
    }),
    duplex: 'half',
    headers: PROTO_HEADERS,
  } as RequestInit);
  t.same(await tally(40, '/v1/logs', chunked), { '413 GLUST_ERR_HTTP_BODY_TOO_LARGE': 40 });
});

t.test('the other refusals before the body (415, 400, 404) are read by a client that is still sending', async (t) => {
  t.same(await tally(30, '/v1/traces', () => ({ body: threeMiB, headers: { 'Content-Type': 'text/plain' } })), { '415 GLUST_ERR_HTTP_CONTENT_TYPE': 30 });
  t.same(await tally(30, '/v1/traces', () => ({ body: threeMiB, headers: { ...PROTO_HEADERS, 'Content-Encoding': 'br' } })), { '400 GLUST_ERR_HTTP_CONTENT_ENCODING': 30 });
  t.same(await tally(30, '/v1/trace', () => ({ body: threeMiB, headers: PROTO_HEADERS })), { '404 GLUST_ERR_HTTP_NOT_FOUND': 30 });
});

t.test('after a drained refusal the connection stays open and serves the next request', async (t) => {
  const conn = await RawConnection.open(server.port);
  t.teardown(() => conn.close());
  conn.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${threeMiB.length}\r\n\r\n`);
  conn.write(threeMiB);
  t.equal((await conn.response())?.status, 413);
  const ok = spansRequest([{}]);
  conn.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${ok.length}\r\n\r\n`);
  conn.write(Buffer.from(ok));
  t.equal((await conn.response())?.status, 200, 'the same connection, in step');
  t.notOk(conn.isClosed);
});

t.test('a refused body that never arrives is not waited for beyond the bound: 413, then the connection closes', async (t) => {
  const conn = await RawConnection.open(server.port);
  t.teardown(() => conn.close());
  const started = Date.now();
  conn.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${100 * LIMIT}\r\n\r\nonly this`);
  const answer = await conn.response(20_000);
  t.equal(answer?.status, 413);
  t.match(answer?.headers, /\r\nConnection: close/i, 'told the connection ends');
  await conn.closed;
  t.pass(`closed by the server after ${Date.now() - started} ms`);
});

t.test('every refusal counted once in /metrics', async (t) => {
  const m = parseMetrics(await (await fetch(`${server.url}/metrics`)).text());
  t.equal(m.get('glust_requests_total{signal="traces",status="413"}'), 102);
  t.equal(m.get('glust_requests_total{signal="logs",status="413"}'), 40);
  t.equal(m.get('glust_requests_total{signal="traces",status="415"}'), 30);
});
