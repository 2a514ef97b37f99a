#!/usr/bin/env node
// Load generator, run as its own process: `node bench/lib/loadgen.mjs '<json options>'`; prints
// one JSON result on stdout.
//
// It speaks HTTP/1.1 over raw keep-alive TCP sockets with pre-built request bytes (headers and
// OTLP body), so it spends almost no CPU per request. Two modes:
//
//   rate > 0   open loop: requests are scheduled on a clock at `rate` per second; when every
//              connection is busy the scheduled requests wait, and latency is measured from the
//              scheduled time, not the send time, so a stalling server cannot hide its queueing
//              (coordinated omission). A backlog over one second of requests is dropped and
//              counted, which bounds the generator's memory.
//   rate = 0   closed loop: each connection sends its next request as soon as the previous one
//              is answered (maximum throughput; latency from the send time).
//
// Client behaviour for the soak (all off by default):
//   retryRefused      a 429/503 is sent again after its Retry-After (capped at 5 s), as OTLP
//                     exporters do; the retry's latency counts from the original schedule.
//   duplicateFraction that share of acknowledged requests is sent once more, byte for byte, as an
//                     exporter does when its timeout fired before the answer came (a duplicate).
//   malformedEvery    every Nth request is a broken body (truncated protobuf, or garbage); it
//                     must be answered 400 and is counted apart from the load.
import net from 'node:net';
import * as hdr from 'hdr-histogram-js';
import { buildBodies, gzipBody, patchBody } from './payloads.mjs';

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

const histogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });

// ---------------------------------------------------------------- requests
const path = { traces: '/v1/traces', logs: '/v1/logs', metrics: '/v1/metrics' }[opts.signal];
let bodies = buildBodies(opts.shape, opts.signal, Math.max(opts.bodies, opts.connections * 4));
if (opts.gzip) {
  // Compressed bodies cannot be patched: give them fresh ids once, then compress.
  const now = BigInt(Date.now()) * 1_000_000n;
  bodies = bodies.map((b) => {
    patchBody(b, now);
    return gzipBody(b);
  });
}
const requests = bodies.map((b) => ({
  body: b,
  head: Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nContent-Type: application/x-protobuf\r\n` +
      (b.gzipped ? 'Content-Encoding: gzip\r\n' : '') +
      `Content-Length: ${b.bytes.length}\r\n\r\n`,
  ),
}));
let nextRequest = 0;
const headFor = (bytes, gzipped) => Buffer.from(
  `POST ${path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nContent-Type: application/x-protobuf\r\n` +
    (gzipped ? 'Content-Encoding: gzip\r\n' : '') +
    `Content-Length: ${bytes.length}\r\n\r\n`,
);
// Broken bodies for malformedEvery: a real body cut in the middle of a field, and bytes that are
// no protobuf at all (field 0 is invalid on the wire).
const malformed = [
  (() => { const b = bodies[0].bytes.subarray(0, Math.floor(bodies[0].bytes.length / 2) + 3); return { bytes: b, head: headFor(b, false) }; })(),
  (() => { const b = Buffer.alloc(512, 0x00); b[1] = 0xff; return { bytes: b, head: headFor(b, false) }; })(),
];
const client = { retried: 0, duplicates: 0, duplicateRecordsAcked: 0, malformedSent: 0, malformedByStatus: {}, retryQueue: [], resendQueue: [], sinceMalformed: 0 };
const rawBytesPerRequest = bodies.reduce((s, b) => s + (b.gzipped ? 0 : b.bytes.length), 0) / bodies.length;

// ---------------------------------------------------------------- results
const total = { sent: 0, answered: 0, acked: 0, records: 0, byStatus: {}, errors: 0, backlogDropped: 0, latency: histogram() };
// Everything acknowledged, warm-up included: what the server must have stored.
let allAckedRecords = 0;
// Refusals (429/503) that lacked Retry-After: the OTLP spec wants it on every retryable refusal.
let refusalsWithoutRetryAfter = 0;
let second = { sent: 0, acked: 0, records: 0, byStatus: {}, latency: histogram() };
const timeline = [];
let started = 0;
let measuring = false;

function record(status, latencyUs, records) {
  const key = String(status);
  if (status === 200) allAckedRecords += records;
  for (const bucket of measuring ? [total, second] : [second]) {
    bucket.byStatus[key] = (bucket.byStatus[key] ?? 0) + 1;
    bucket.latency.recordValue(Math.max(1, Math.round(latencyUs)));
    if (status === 200) {
      bucket.acked++;
      bucket.records += records;
    }
  }
  if (measuring) total.answered++;
}

// ---------------------------------------------------------------- connections
const idle = [];
const backlog = []; // scheduled times (ms) waiting for an idle connection
const maxBacklog = Math.max(100, opts.rate);
let stopping = false;
let inFlight = 0;

function connect() {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: opts.host, port: opts.port, noDelay: true });
    const conn = { socket, scheduled: 0, records: 0, buf: Buffer.alloc(0), busy: false };
    socket.once('connect', () => resolve(conn));
    socket.once('error', reject);
    socket.on('data', (chunk) => onData(conn, chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      if (conn.busy) {
        conn.busy = false;
        inFlight--;
        total.errors++;
      }
    });
  });
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
  conn.scheduled = req.scheduled ?? scheduled;
  conn.records = req.records;
  conn.req = req;
  conn.busy = true;
  inFlight++;
  if (req.kind === 'load') {
    second.sent++;
    if (measuring) total.sent++;
  }
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
    client.retryQueue.push({ ...req, kind: 'retry', due: performance.now() + waitMs, scheduled: req.scheduled });
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
    inFlight--;
    const req = conn.req;
    if (req.kind === 'malformed') client.malformedByStatus[status] = (client.malformedByStatus[status] ?? 0) + 1;
    else if (req.kind === 'duplicate') {
      if (status === 200) client.duplicateRecordsAcked += req.records;
    } else record(status, (now - conn.scheduled) * 1000, conn.records);
    afterAnswer({ ...req, scheduled: req.kind === 'retry' ? req.scheduled : conn.scheduled }, status, head);
    if (opts.rate > 0) {
      if (backlog.length > 0) send(conn, backlog.shift());
      else idle.push(conn);
    } else if (!stopping) send(conn, now);
  }
}

// ---------------------------------------------------------------- clock
function tickOpenLoop(state) {
  const now = performance.now();
  while (state.nextDue <= now && !stopping) {
    const conn = idle.pop();
    if (conn) send(conn, state.nextDue);
    else if (backlog.length < maxBacklog) backlog.push(state.nextDue);
    else if (measuring) total.backlogDropped++;
    state.nextDue += state.interval;
  }
}

function snapshotSecond(t) {
  const l = second.latency;
  timeline.push({
    t,
    sent: second.sent,
    acked: second.acked,
    recordsPerSecond: second.records,
    byStatus: second.byStatus,
    p50ms: l.totalCount ? l.getValueAtPercentile(50) / 1000 : null,
    p99ms: l.totalCount ? l.getValueAtPercentile(99) / 1000 : null,
    maxMs: l.totalCount ? l.maxValue / 1000 : null,
    backlog: backlog.length,
  });
  second = { sent: 0, acked: 0, records: 0, byStatus: {}, latency: histogram() };
}

async function main() {
  const conns = await Promise.all(Array.from({ length: opts.connections }, connect));
  idle.push(...conns);
  const cpu0 = process.cpuUsage();
  started = performance.now();
  const endAt = started + (opts.warmupS + opts.durationS) * 1000;
  const state = { nextDue: started, interval: opts.rate > 0 ? 1000 / opts.rate : 0 };
  let measureStart = 0;
  if (opts.warmupS === 0) {
    measuring = true;
    measureStart = started;
  }
  if (opts.rate === 0) for (const c of idle.splice(0)) send(c, performance.now());
  let nextSecond = started + 1000;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (!measuring && now >= started + opts.warmupS * 1000) {
        measuring = true;
        measureStart = now;
      }
      if (opts.rate > 0) tickOpenLoop(state);
      if (now >= nextSecond) {
        snapshotSecond(Math.round((nextSecond - started) / 1000));
        nextSecond += 1000;
      }
      if (now >= endAt) return resolve();
      setTimeout(tick, opts.rate > 0 ? Math.max(0, Math.min(1, state.nextDue - now)) : 50);
    };
    tick();
  });
  stopping = true;
  const measuredS = (performance.now() - measureStart) / 1000;
  // Let the requests in flight finish (bounded), then stop.
  const drainUntil = performance.now() + 15_000;
  while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  total.backlogDropped += backlog.length;
  const cpu = process.cpuUsage(cpu0);
  for (const c of conns) c.socket.destroy();
  const l = total.latency;
  const pct = (p) => (l.totalCount ? l.getValueAtPercentile(p) / 1000 : null);
  const result = {
    options: opts,
    measuredSeconds: measuredS,
    sent: total.sent,
    answered: total.answered,
    acked: total.acked,
    ackedRecords: total.records,
    ackedRecordsPerSecond: total.records / measuredS,
    totalAckedRecordsIncludingWarmup: allAckedRecords,
    refusalsWithoutRetryAfter,
    offeredRecordsPerSecond: opts.rate > 0 ? opts.rate * (bodies.reduce((s, b) => s + b.records, 0) / bodies.length) : null,
    byStatus: total.byStatus,
    refusedFraction: total.answered ? (total.answered - total.acked) / total.answered : 0,
    connectionErrors: total.errors,
    backlogDropped: total.backlogDropped,
    stillInFlight: inFlight,
    latencyMs: { p50: pct(50), p90: pct(90), p95: pct(95), p99: pct(99), p999: pct(99.9), max: l.totalCount ? l.maxValue / 1000 : null },
    rawBytesPerRequest,
    recordsPerRequest: bodies.reduce((s, b) => s + b.records, 0) / bodies.length,
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
    client: { retried: client.retried, retriesPending: client.retryQueue.length, duplicates: client.duplicates, duplicateRecordsAcked: client.duplicateRecordsAcked, malformedSent: client.malformedSent, malformedByStatus: client.malformedByStatus },
    timeline,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`loadgen: ${err.stack ?? err}\n`);
  process.exit(1);
});
