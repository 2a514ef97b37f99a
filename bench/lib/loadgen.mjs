#!/usr/bin/env node
// Load generator, run as its own process: `node bench/lib/loadgen.mjs '<json options>'`; prints
// one JSON result on stdout.
//
// It speaks HTTP/1.1 over raw keep-alive TCP sockets with pre-built request bytes (headers and
// OTLP body), so it spends almost no CPU per request. The clock, open and closed loop, the
// timeline and the result's fields are load-run.mjs's, shared with the gRPC generator.
//
// Client behaviour for the soak (all off by default):
//   retryRefused      a 429/503 is sent again after its Retry-After (capped at 5 s), as OTLP
//                     exporters do; the retry's latency counts from the original schedule.
//   duplicateFraction that share of acknowledged requests is sent once more, byte for byte, as an
//                     exporter does when its timeout fired before the answer came (a duplicate).
//   malformedEvery    every Nth request is a broken body (truncated protobuf, or garbage); it
//                     must be answered 400 and is counted apart from the load.
import net from 'node:net';
import { LoadRun, loadBodies, runMain } from './load-run.mjs';
import { patchBody } from './payloads.mjs';

const opts = {
  host: '127.0.0.1',
  port: 4318,
  signal: 'traces',
  shape: 'testbed',
  gzip: false,
  rate: 0,
  connections: 32,
  durationS: 10,
  warmupS: 0,
  bodies: 256,
  retryRefused: false,
  duplicateFraction: 0,
  malformedEvery: 0,
  ...JSON.parse(process.argv[2] ?? '{}'),
};

// ---------------------------------------------------------------- requests
const path = { traces: '/v1/traces', logs: '/v1/logs', metrics: '/v1/metrics' }[opts.signal];
const bodies = loadBodies(opts);
const headFor = (bytes, gzipped) => Buffer.from(
  `POST ${path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nContent-Type: application/x-protobuf\r\n` +
    (gzipped ? 'Content-Encoding: gzip\r\n' : '') +
    `Content-Length: ${bytes.length}\r\n\r\n`,
);
const requests = bodies.map((b) => ({ body: b, head: headFor(b.bytes, b.gzipped) }));
let nextRequest = 0;
// Broken bodies for malformedEvery: a real body cut in the middle of a field, and bytes that are
// no protobuf at all (field 0 is invalid on the wire).
const malformed = [
  (() => { const b = bodies[0].bytes.subarray(0, Math.floor(bodies[0].bytes.length / 2) + 3); return { bytes: b, head: headFor(b, false) }; })(),
  (() => { const b = Buffer.alloc(512, 0x00); b[1] = 0xff; return { bytes: b, head: headFor(b, false) }; })(),
];
const client = { reconnects: 0, retried: 0, duplicates: 0, duplicateRecordsAcked: 0, malformedSent: 0, malformedByStatus: {}, retryQueue: [], resendQueue: [], sinceMalformed: 0 };

// ---------------------------------------------------------------- results
const load = new LoadRun(opts);
// Refusals (429/503) that lacked Retry-After: the OTLP spec wants it on every retryable refusal.
let refusalsWithoutRetryAfter = 0;

// ---------------------------------------------------------------- connections
// A connection is a slot of the load run: its socket is replaced when the server closes it. uWS
// closes a keep-alive connection after about 10 s without a request, and at low rates most slots
// sit idle that long (the run reuses the last freed slot first). Before this reconnect, the next
// request on such a slot went to a dead socket, was never answered, and held the run's drain for
// its full 15 s (issue 14: that wait made the CPU per second at 10,000 spans/s look bimodal).
function connect() {
  return new Promise((resolve, reject) => {
    const conn = { socket: null, scheduled: 0, records: 0, buf: Buffer.alloc(0), busy: false };
    const socket = open(conn);
    socket.once('connect', () => resolve(conn));
    socket.once('error', reject);
  });
}

/** A new socket for `conn`; when it closes after having connected, another one takes its place. */
function open(conn) {
  const socket = net.connect({ host: opts.host, port: opts.port, noDelay: true });
  conn.socket = socket;
  conn.buf = Buffer.alloc(0);
  let connected = false;
  socket.once('connect', () => (connected = true));
  socket.on('data', (chunk) => onData(conn, chunk));
  socket.on('error', () => {});
  socket.on('close', () => {
    const wasBusy = conn.busy;
    if (conn.busy) {
      conn.busy = false;
      load.inFlight--;
      load.total.errors++;
    }
    // A socket that never connected is not replaced: the server is gone, and the slot with it.
    if (!connected || load.stopping) return;
    client.reconnects++;
    open(conn);
    if (wasBusy) load.freed(conn, performance.now(), send);
  });
  return socket;
}

function send(conn, scheduled) {
  // Due retries and duplicates go first, then (every malformedEvery) a broken body.
  const special = takeSpecial();
  if (special) return sendBytes(conn, scheduled, special);
  if (opts.malformedEvery > 0 && ++client.sinceMalformed >= opts.malformedEvery) {
    client.sinceMalformed = 0;
    client.malformedSent++;
    const m = malformed[client.malformedSent % malformed.length];
    return sendBytes(conn, scheduled, { head: m.head, bytes: m.bytes, records: 0, kind: 'malformed' });
  }
  const req = requests[nextRequest];
  nextRequest = (nextRequest + 1) % requests.length;
  if (!req.body.gzipped) patchBody(req.body, BigInt(Date.now()) * 1_000_000n);
  // A request that may be sent again keeps its own bytes: the shared body is patched with new
  // ids for later requests, and a retry must repeat this request's ids, not a later one's.
  const keep = opts.retryRefused || opts.duplicateFraction > 0;
  sendBytes(conn, scheduled, { head: req.head, bytes: keep ? Buffer.from(req.body.bytes) : req.body.bytes, records: req.body.records, kind: 'load' });
}

function takeSpecial() {
  const now = performance.now();
  if (client.retryQueue.length > 0 && client.retryQueue[0].due <= now) return client.retryQueue.shift();
  if (client.resendQueue.length > 0) return client.resendQueue.shift();
  return null;
}

function sendBytes(conn, scheduled, req) {
  // A slot whose server went away for good: the request is a connection error, not one in flight.
  if (conn.socket.destroyed) {
    if (req.kind === 'load') load.sent();
    load.total.errors++;
    return;
  }
  conn.scheduled = req.scheduled ?? scheduled;
  conn.records = req.records;
  conn.req = req;
  conn.busy = true;
  load.inFlight++;
  if (req.kind === 'load') load.sent();
  conn.socket.cork();
  conn.socket.write(req.head);
  conn.socket.write(req.bytes);
  conn.socket.uncork();
}

/** What the client does after an answer: retry a refusal, resend some acknowledged requests. */
function afterAnswer(req, status, head) {
  if ((status === 503 || status === 429) && opts.retryRefused && req.kind !== 'malformed') {
    const m = /\r\nretry-after:\s*(\d+)/i.exec(head);
    const waitMs = Math.min(5, m ? Number(m[1]) : 1) * 1000;
    // A refused duplicate stays a duplicate when retried: counted as a load request, its
    // acknowledgement would claim 100 distinct spans that were acknowledged before (the soak of
    // 2026-12-03 08:52 "lost" exactly one such request's 100 spans: every row was on disk).
    const kind = req.kind === 'duplicate' ? 'duplicate' : 'retry';
    client.retryQueue.push({ ...req, kind, due: performance.now() + waitMs, scheduled: req.scheduled });
    client.retried++;
  } else if (status === 200 && req.kind === 'load' && opts.duplicateFraction > 0 && Math.random() < opts.duplicateFraction) {
    client.resendQueue.push({ ...req, kind: 'duplicate', scheduled: undefined });
    client.duplicates++;
  }
}

/** Parse one response (status line, Content-Length, body) per request; no pipelining. */
function onData(conn, chunk) {
  conn.buf = conn.buf.length ? Buffer.concat([conn.buf, chunk]) : chunk;
  for (;;) {
    const end = conn.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = conn.buf.toString('latin1', 0, end);
    const m = /content-length:\s*(\d+)/i.exec(head);
    let length = m ? Number(m[1]) : 0;
    if (!m && /transfer-encoding:\s*chunked/i.test(head)) {
      // Only an empty or short chunked body is expected; wait for its terminating chunk.
      const last = conn.buf.indexOf('0\r\n\r\n', end + 4);
      if (last < 0) return;
      length = last + 5 - (end + 4);
    }
    if (conn.buf.length < end + 4 + length) return;
    const status = Number(head.slice(9, 12));
    if ((status === 503 || status === 429) && !/\r\nretry-after:/i.test(head)) refusalsWithoutRetryAfter++;
    conn.buf = conn.buf.subarray(end + 4 + length);
    const now = performance.now();
    conn.busy = false;
    load.inFlight--;
    const req = conn.req;
    if (req.kind === 'malformed') client.malformedByStatus[status] = (client.malformedByStatus[status] ?? 0) + 1;
    else if (req.kind === 'duplicate') {
      if (status === 200) client.duplicateRecordsAcked += req.records;
    } else load.record(status, status === 200, (now - conn.scheduled) * 1000, conn.records);
    afterAnswer({ ...req, scheduled: req.kind === 'retry' ? req.scheduled : conn.scheduled }, status, head);
    load.freed(conn, now, send);
  }
}

// ---------------------------------------------------------------- run
runMain('loadgen', async () => {
  const conns = await Promise.all(Array.from({ length: opts.connections }, connect));
  const measured = await load.run(conns, send);
  for (const c of conns) c.socket.destroy();
  return {
    ...load.summary(bodies, measured),
    refusalsWithoutRetryAfter,
    client: { reconnects: client.reconnects, retried: client.retried, retriesPending: client.retryQueue.length, duplicates: client.duplicates, duplicateRecordsAcked: client.duplicateRecordsAcked, malformedSent: client.malformedSent, malformedByStatus: client.malformedByStatus },
  };
});
