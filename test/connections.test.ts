/**
 * Slow, idle and too many clients, with raw sockets against live servers:
 *  - a body trickled slower than --min-body-bytes-per-second (after --body-timeout-s) is answered
 *    408 with a Status body and disconnected, while a normal client on another connection is
 *    served at the same moment; a body sent slowly but above the rate is accepted; headers with
 *    no body at all are cut the same way;
 *  - an idle keep-alive connection, and one that never sends a request, are closed by the server;
 *  - at --max-connections new connections are refused while the open ones are still served, and
 *    accepted again once some close;
 *  - every record acknowledged along the way is stored.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import t from 'tap';
import { PROTO, hex, nowNs, randomTraceId, spansRequest } from './helpers/otlp.js';
import { RawConnection } from './helpers/raw-http.js';
import { post, startServer } from './helpers/server.js';
import { getJson } from './helpers/telemetry.js';

/** A port free right now (the kernel's pick for a throwaway listener). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GET_LIVE = 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n';

/** A valid OTLP/JSON request of about `bytes` bytes (padded with spaces) holding one span. */
function paddedJsonSpan(traceId: string, bytes: number): string {
  const start = nowNs();
  const doc = JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'conn-test' } }] },
      scopeSpans: [{ spans: [{ traceId, spanId: '00f067aa0ba902b7', name: 'slow but fine', startTimeUnixNano: String(start), endTimeUnixNano: String(start + 1000n) }] }],
    }],
  });
  return doc + ' '.repeat(Math.max(0, bytes - doc.length));
}

t.test('slow bodies', async (t) => {
  const server = await startServer({ args: ['--flush-ms', '200', '--body-timeout-s', '1', '--min-body-bytes-per-second', '1000'] });
  t.teardown(() => server.kill());
  const acked: string[] = [];

  t.test('a trickling body is cut with 408 while another client is served', async (t) => {
    const slow = await RawConnection.open(server.port);
    slow.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`);
    const started = Date.now();
    const trickle = setInterval(() => slow.isClosed || slow.write('          '), 200);
    t.teardown(() => clearInterval(trickle));
    // Meanwhile, on other connections, normal requests are answered.
    for (let i = 0; i < 5; i++) {
      const traceId = randomTraceId();
      const r = await post(`${server.url}/v1/traces`, spansRequest([{ traceId }], 'conn-test'), PROTO);
      t.equal(r.status, 200, `normal request ${i} served during the trickle`);
      acked.push(hex(traceId));
      await sleep(100);
    }
    const answer = await slow.response(10_000);
    clearInterval(trickle);
    t.ok(answer, 'the trickler got an answer before its connection closed');
    t.equal(answer?.status, 408);
    t.match(answer?.body, /^\{"code":4,"message":"GLUST_ERR_HTTP_BODY_TOO_SLOW: request body arrived too slowly: \d+ bytes in/);
    await slow.closed;
    t.ok(Date.now() - started < 8000, 'cut within seconds, not at some far timeout');
  });

  t.test('headers with no body at all are cut the same way', async (t) => {
    const silent = await RawConnection.open(server.port);
    silent.write(`POST /v1/logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 10\r\n\r\n`);
    const answer = await silent.response(10_000);
    t.equal(answer?.status, 408);
    t.match(answer?.headers, /content-type: application\/x-protobuf/i, 'the Status body is protobuf, like the request');
    await silent.closed;
  });

  t.test('a body sent slowly but above the rate is accepted', async (t) => {
    const traceId = randomTraceId();
    const body = paddedJsonSpan(hex(traceId), 6000);
    const c = await RawConnection.open(server.port);
    c.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    // 6000 bytes over 3 seconds: 2000 bytes/s, above the 1000 required.
    for (let at = 0; at < body.length; at += 400) {
      c.write(body.slice(at, at + 400));
      await sleep(200);
    }
    const answer = await c.response();
    t.equal(answer?.status, 200, 'accepted');
    acked.push(hex(traceId));
    c.close();
  });

  t.test('every acknowledged span is stored', async (t) => {
    for (const id of acked) {
      const r = await getJson(`${server.url}/api/traces/${id}`);
      t.equal(r.status, 200, `trace ${id} found`);
    }
  });
});

t.test('idle connections are closed by the server', async (t) => {
  const server = await startServer({ args: ['--flush-ms', '200'] });
  t.teardown(() => server.kill());
  const idle = await RawConnection.open(server.port);
  idle.write(GET_LIVE);
  t.equal((await idle.response())?.status, 200, 'a keep-alive request is answered');
  const silent = await RawConnection.open(server.port);
  const busy = await RawConnection.open(server.port);
  const started = Date.now();
  // The busy connection keeps sending requests: it must stay open while the idle ones are closed.
  let busyOk = 0;
  while (!(idle.isClosed && silent.isClosed) && Date.now() - started < 30_000) {
    busy.write(GET_LIVE);
    if ((await busy.response())?.status === 200) busyOk++;
    await sleep(1000);
  }
  t.ok(idle.isClosed, `the idle keep-alive connection was closed (after ${((Date.now() - started) / 1000).toFixed(0)} s)`);
  t.ok(silent.isClosed, 'the connection that never sent a request was closed');
  t.notOk(busy.isClosed, 'the busy connection is still open');
  t.ok(busyOk >= 3, `the busy connection was served throughout (${busyOk} requests)`);
  busy.close();
});

t.test('at --max-connections new connections are refused, open ones still served', async (t) => {
  // A fixed port: uSockets sets SO_REUSEADDR on a listener only when its port is not 0, and
  // listening again while connections stay open on the port needs it.
  const server = await startServer({ args: ['--flush-ms', '200', '--max-connections', '4', '--listen', `127.0.0.1:${await freePort()}`] });
  t.teardown(() => server.kill());
  const open: RawConnection[] = [];
  for (let i = 0; i < 4; i++) {
    const c = await RawConnection.open(server.port);
    c.write(GET_LIVE);
    t.equal((await c.response())?.status, 200, `connection ${i} served`);
    open.push(c);
  }
  await sleep(800); // a few counts of the limit
  const refused = await RawConnection.open(server.port).then(
    async (c) => {
      // Accepted by the kernel before the listener closed: then it must not be served.
      c.write(GET_LIVE);
      const r = await c.response(3000).catch(() => null);
      c.close();
      return r === null ? 'closed' : `answered ${r.status}`;
    },
    (err: NodeJS.ErrnoException) => err.code,
  );
  t.equal(refused, 'ECONNREFUSED', 'a fifth connection is refused');
  for (const [i, c] of open.entries()) {
    c.write(GET_LIVE);
    t.equal((await c.response())?.status, 200, `open connection ${i} still served`);
  }
  const traceId = randomTraceId();
  open[0]!.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${paddedJsonSpan(hex(traceId), 0).length}\r\n\r\n${paddedJsonSpan(hex(traceId), 0)}`);
  t.equal((await open[0]!.response())?.status, 200, 'ingest on an open connection works at the limit');
  open.pop()!.close();
  open.pop()!.close();
  await sleep(800);
  const again = await RawConnection.open(server.port).catch((err: Error) => {
    const port = ':' + server.port.toString(16).toUpperCase().padStart(4, '0');
    const lines = readFileSync('/proc/net/tcp', 'latin1').split('\n').filter((l) => l.includes(port));
    throw new Error(`${err.message}; server said:\n${server.output()}\n${lines.join('\n')}`);
  });
  again.write(GET_LIVE);
  t.equal((await again.response())?.status, 200, 'below the limit again, a new connection is served');
  for (const c of [...open, again]) c.close();
  const stored = await getJson(`${server.url}/api/traces/${hex(traceId)}`);
  t.equal(stored.status, 200, 'the span sent at the limit is stored');
});
