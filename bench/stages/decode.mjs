#!/usr/bin/env node
// Stage limit: decode + validate + WAL rows on one core, in this process, for the same bodies
// the load generator sends. Prints {recordsPerSecond, usPerRecord, ...} as JSON.
//   node bench/stages/decode.mjs '{"shape":"testbed","signal":"traces","seconds":5}'
// "path": "wire" (the decode worker's path for protobuf: rows as bytes, src/otlp/wire/),
// "reference" (protobufjs decode + walkRequest, rows as strings), or "ab": both, alternating
// in rounds of `round` seconds within this one process, CPU time of each summed apart.
import { BODY_CODECS } from '../../dist/otlp/codec.js';
import { LOGS_SIGNAL, METRICS_SIGNAL, TRACES } from '../../dist/otlp/signals.js';
import { walkRequest } from '../../dist/otlp/validate.js';
import { DEFAULT_LIMITS } from '../../dist/otlp/limits.js';
import { RowBytes, decodeWire, hasWirePath } from '../../dist/otlp/wire/index.js';
import { buildBodies, patchBody } from '../lib/payloads.mjs';

const opts = { shape: 'testbed', signal: 'traces', seconds: 5, path: 'wire', round: 0.5, ...JSON.parse(process.argv[2] ?? '{}') };
const signal = { traces: TRACES, logs: LOGS_SIGNAL, metrics: METRICS_SIGNAL }[opts.signal];
const bodies = buildBodies(opts.shape, opts.signal, 64);
for (const b of bodies) patchBody(b, BigInt(Date.now()) * 1_000_000n);
const MAX_ROW = 2 << 20;

// The reference path's sink, as the decode worker's BatchSink was: rows joined and encoded per chunk.
let bytes = 0;
const sink = {
  parts: [],
  push(line) {
    this.parts.push(line);
    if (this.parts.length >= 1000) this.flush();
  },
  flush() {
    bytes += Buffer.from(this.parts.join('')).length;
    this.parts = [];
  },
};

function reference(body) {
  const request = BODY_CODECS.proto.decodeRequest(signal, body.bytes);
  return walkRequest(request, signal, { limits: DEFAULT_LIMITS, sink, maxRowBytes: MAX_ROW }).accepted;
}

// The wire path, with the one copy the worker makes (into the batch ring) stood in for by a copy
// into a scratch buffer; a body it hands back takes the reference path, as in the worker.
const rows = new RowBytes();
let ring = Buffer.allocUnsafe(1 << 20);
let fellBack = 0;
function wire(body) {
  const r = decodeWire(signal.index, body.bytes, DEFAULT_LIMITS, MAX_ROW, rows);
  if (r === null) {
    fellBack++;
    return reference(body);
  }
  if (ring.length < rows.len) ring = Buffer.allocUnsafe(rows.len * 2);
  rows.buf.copy(ring, 0, 0, rows.len);
  bytes += rows.len;
  return r.accepted;
}

if (opts.path !== 'reference' && !hasWirePath(signal.index)) console.error(`# ${opts.signal} has no wire path yet: "wire" measures the reference path`);
const paths = opts.path === 'ab' ? { reference, wire } : { [opts.path]: opts.path === 'wire' ? wire : reference };
const tally = Object.fromEntries(Object.keys(paths).map((name) => [name, { records: 0, cpuUs: 0, seconds: 0, bytes: 0 }]));

let i = 0;
const warmEnd = performance.now() + 1000;
while (performance.now() < warmEnd) for (const run of Object.values(paths)) run(bodies[i++ % bodies.length]);
sink.flush();
fellBack = 0;
const names = Object.keys(paths);
const roundMs = (names.length > 1 ? opts.round : opts.seconds) * 1000;
const t0 = performance.now();
for (let k = 0; performance.now() - t0 < opts.seconds * 1000; k++) {
  const name = names[k % names.length];
  const run = paths[name];
  const tl = tally[name];
  bytes = 0;
  const cpu0 = process.cpuUsage();
  const r0 = performance.now();
  while (performance.now() - r0 < roundMs) tl.records += run(bodies[i++ % bodies.length]);
  sink.flush();
  const cpu = process.cpuUsage(cpu0);
  tl.cpuUs += cpu.user + cpu.system;
  tl.seconds += (performance.now() - r0) / 1000;
  tl.bytes += bytes;
}
const result = Object.fromEntries(Object.entries(tally).map(([name, tl]) => [name, {
  records: tl.records,
  seconds: tl.seconds,
  recordsPerSecond: tl.records / tl.seconds,
  usPerRecord: tl.cpuUs / tl.records,
  walBytesPerRecord: tl.bytes / tl.records,
}]));
const one = names.length === 1 ? result[names[0]] : { paths: result, cpuRatioWireToReference: result.wire.usPerRecord / result.reference.usPerRecord };
console.log(JSON.stringify({ stage: 'decode+validate (one core)', ...opts, ...one, wireFellBack: fellBack }));
