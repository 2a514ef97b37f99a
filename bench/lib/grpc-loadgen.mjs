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
// The clock (open loop with latency from the scheduled time, or closed loop), the timeline and
// the result's fields are load-run.mjs's, shared with the HTTP generator.
import http2 from 'node:http2';
import net from 'node:net';
import { LoadRun, loadBodies, runMain } from './load-run.mjs';
import { patchBody } from './payloads.mjs';

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

const PATHS = {
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
};
const headers = {
  ':method': 'POST',
  ':path': PATHS[opts.signal],
  'content-type': 'application/grpc',
  te: 'trailers',
  ...(opts.gzip ? { 'grpc-encoding': 'gzip' } : {}),
};

// ---------------------------------------------------------------- messages
const bodies = loadBodies(opts);
/** The framed message shares its payload bytes with the body, so patching the body patches it. */
const messages = bodies.map((b) => {
  const prefix = Buffer.alloc(5);
  prefix[0] = b.gzipped ? 1 : 0;
  prefix.writeUInt32BE(b.bytes.length, 1);
  return { body: b, prefix };
});
let next = 0;

// ---------------------------------------------------------------- calls
const load = new LoadRun(opts);
// Refusals (UNAVAILABLE) without google.rpc.RetryInfo details: OTLP wants a retry delay on them.
let refusalsWithoutRetryInfo = 0;

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
  load.inFlight++;
  load.sent();
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
    load.inFlight--;
    const now = performance.now();
    if (code === null) load.total.errors++;
    else load.record(`grpc ${code}`, code === 0, (now - scheduled) * 1000, m.body.records);
    load.freed(slot, now, send);
  });
  stream.write(m.prefix);
  stream.end(m.body.bytes);
}

// ---------------------------------------------------------------- run
runMain('grpc-loadgen', async () => {
  const sessions = await Promise.all(Array.from({ length: Math.min(opts.sessions, opts.connections) }, connect));
  const slots = Array.from({ length: opts.connections }, (_, i) => ({ session: sessions[i % sessions.length] }));
  const measured = await load.run(slots, send);
  for (const s of sessions) s.destroy();
  return { ...load.summary(bodies, measured), transport: 'grpc', refusalsWithoutRetryAfter: refusalsWithoutRetryInfo };
});
