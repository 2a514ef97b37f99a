#!/usr/bin/env node
// OTLP/gRPC load generator, run as its own process: `node bench/lib/grpc-loadgen.mjs '<json>'`;
// prints one JSON result on stdout, in the shape loadgen.mjs (the HTTP one) prints, so the
// ladders and fixed-rate runs of bench/run.mjs take either.
//
// It speaks HTTP/2 with node:http2 and sends pre-encoded Export requests: the bodies of
// payloads.mjs, built once, framed once as a gRPC Length-Prefixed-Message; before each send only
// the ids and times are patched in place (as the HTTP generator does), nothing is encoded.
// `connections` is the number of calls in flight at most (as many as the HTTP generator's
// connections), spread over `sessions` HTTP/2 connections, as an exporter multiplexes its calls.
//
//   rate > 0   open loop: calls are scheduled on a clock; latency from the scheduled time, so
//              queueing in the server is not hidden (coordinated omission); a backlog over one
//              second of calls is dropped and counted
//   rate = 0   closed loop: each slot sends its next call as soon as the previous one is answered
import http2 from 'node:http2';
import net from 'node:net';
import * as hdr from 'hdr-histogram-js';
import { buildBodies, gzipBody, patchBody } from './payloads.mjs';

const opts = {
  host: '127.0.0.1',
  port: 4317,
  signal: 'traces',
  shape: 'testbed',
  gzip: false,
  rate: 0,
  connections: 64,
  sessions: 8,
  durationS: 10,
  warmupS: 0,
  bodies: 256,
  ...JSON.parse(process.argv[2] ?? '{}'),
};

const histogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
const PATHS = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
};
const headers = {
  ':method': 'POST',
  ':path': PATHS[opts.signal],
  'content-type': 'application/grpc',
  te: 'trailers',
  ...(opts.gzip ? { 'grpc-encoding': 'gzip' } : {}),
};

// ---------------------------------------------------------------- messages
let bodies = buildBodies(opts.shape, opts.signal, Math.max(opts.bodies, opts.connections * 4));
if (opts.gzip) {
  const now = BigInt(Date.now()) * 1_000_000n;
  bodies = bodies.map((b) => {
    patchBody(b, now);
    return gzipBody(b);
  });
}
/** The framed message shares its payload bytes with the body, so patching the body patches it. */
const messages = bodies.map((b) => {
  const prefix = Buffer.alloc(5);
  prefix[0] = b.gzipped ? 1 : 0;
  prefix.writeUInt32BE(b.bytes.length, 1);
  return { body: b, prefix };
});
let next = 0;
const rawBytesPerRequest = bodies.reduce((s, b) => s + (b.gzipped ? 0 : b.bytes.length), 0) / bodies.length;

// ---------------------------------------------------------------- results
const total = { sent: 0, answered: 0, acked: 0, records: 0, byStatus: {}, errors: 0, backlogDropped: 0, latency: histogram() };
let allAckedRecords = 0;
let refusalsWithoutRetryInfo = 0;
let second = { sent: 0, acked: 0, records: 0, byStatus: {}, latency: histogram() };
const timeline = [];
let measuring = false;

function record(code, latencyUs, records) {
  const key = `grpc ${code}`;
  if (code === 0) allAckedRecords += records;
  for (const bucket of measuring ? [total, second] : [second]) {
    bucket.byStatus[key] = (bucket.byStatus[key] ?? 0) + 1;
    bucket.latency.recordValue(Math.max(1, Math.round(latencyUs)));
    if (code === 0) {
      bucket.acked++;
      bucket.records += records;
    }
  }
  if (measuring) total.answered++;
}

// ---------------------------------------------------------------- calls
const idle = [];
const backlog = [];
const maxBacklog = Math.max(100, opts.rate);
let stopping = false;
let inFlight = 0;
let sessions = [];

function connect() {
  return new Promise((resolve, reject) => {
    // TCP_NODELAY: small frames go out at once, as the HTTP generator's writes do.
    const session = http2.connect(`http://${opts.host}:${opts.port}`, { createConnection: () => net.connect({ host: opts.host, port: opts.port, noDelay: true }) });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
    session.on('error', () => {});
  });
}

function send(slot, scheduled) {
  const m = messages[next];
  next = (next + 1) % messages.length;
  if (!m.body.gzipped) patchBody(m.body, BigInt(Date.now()) * 1_000_000n);
  inFlight++;
  second.sent++;
  if (measuring) total.sent++;
  const stream = slot.session.request(headers);
  let code = null;
  stream.on('response', (h) => {
    if (h['grpc-status'] !== undefined) code = Number(h['grpc-status']);
  });
  stream.on('trailers', (h) => {
    code = Number(h['grpc-status']);
    if (code === 14 && !h['grpc-status-details-bin']) refusalsWithoutRetryInfo++;
  });
  stream.on('data', () => {});
  stream.on('error', () => {});
  stream.on('close', () => {
    inFlight--;
    const now = performance.now();
    if (code === null) total.errors++;
    else record(code, (now - scheduled) * 1000, m.body.records);
    if (opts.rate > 0) {
      if (backlog.length > 0) send(slot, backlog.shift());
      else idle.push(slot);
    } else if (!stopping) send(slot, now);
  });
  stream.write(m.prefix);
  stream.end(m.body.bytes);
}

function tickOpenLoop(state) {
  const now = performance.now();
  while (state.nextDue <= now && !stopping) {
    const slot = idle.pop();
    if (slot) send(slot, state.nextDue);
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
  sessions = await Promise.all(Array.from({ length: Math.min(opts.sessions, opts.connections) }, connect));
  for (let i = 0; i < opts.connections; i++) idle.push({ session: sessions[i % sessions.length] });
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const endAt = started + (opts.warmupS + opts.durationS) * 1000;
  const state = { nextDue: started, interval: opts.rate > 0 ? 1000 / opts.rate : 0 };
  let measureStart = 0;
  if (opts.warmupS === 0) {
    measuring = true;
    measureStart = started;
  }
  if (opts.rate === 0) for (const s of idle.splice(0)) send(s, performance.now());
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
  const drainUntil = performance.now() + 15_000;
  while (inFlight > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
  total.backlogDropped += backlog.length;
  const cpu = process.cpuUsage(cpu0);
  for (const s of sessions) s.destroy();
  const l = total.latency;
  const pct = (p) => (l.totalCount ? l.getValueAtPercentile(p) / 1000 : null);
  const recordsPerRequest = bodies.reduce((s, b) => s + b.records, 0) / bodies.length;
  process.stdout.write(JSON.stringify({
    options: opts,
    transport: 'grpc',
    measuredSeconds: measuredS,
    sent: total.sent,
    answered: total.answered,
    acked: total.acked,
    ackedRecords: total.records,
    ackedRecordsPerSecond: total.records / measuredS,
    totalAckedRecordsIncludingWarmup: allAckedRecords,
    refusalsWithoutRetryAfter: refusalsWithoutRetryInfo,
    offeredRecordsPerSecond: opts.rate > 0 ? opts.rate * recordsPerRequest : null,
    byStatus: total.byStatus,
    refusedFraction: total.answered ? (total.answered - total.acked) / total.answered : 0,
    connectionErrors: total.errors,
    backlogDropped: total.backlogDropped,
    stillInFlight: inFlight,
    latencyMs: { p50: pct(50), p90: pct(90), p95: pct(95), p99: pct(99), p999: pct(99.9), max: l.totalCount ? l.maxValue / 1000 : null },
    rawBytesPerRequest,
    recordsPerRequest,
    generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
    timeline,
  }) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`grpc-loadgen: ${err.stack ?? err}\n`);
  process.exit(1);
});
