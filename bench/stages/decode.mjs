#!/usr/bin/env node
// Stage limit: decode + validate + WAL rows on one core, in this process, for the same bodies
// the load generator sends. Prints {recordsPerSecond, usPerRecord, ...} as JSON.
//   node bench/stages/decode.mjs '{"shape":"testbed","signal":"traces","seconds":5}'
import { BODY_CODECS } from '../../dist/otlp/codec.js';
import { LOGS_SIGNAL, METRICS_SIGNAL, TRACES } from '../../dist/otlp/signals.js';
import { walkRequest } from '../../dist/otlp/validate.js';
import { DEFAULT_LIMITS } from '../../dist/otlp/limits.js';
import { buildBodies, patchBody } from '../lib/payloads.mjs';

const opts = { shape: 'testbed', signal: 'traces', seconds: 5, ...JSON.parse(process.argv[2] ?? '{}') };
const signal = { traces: TRACES, logs: LOGS_SIGNAL, metrics: METRICS_SIGNAL }[opts.signal];
const bodies = buildBodies(opts.shape, opts.signal, 64);
for (const b of bodies) patchBody(b, BigInt(Date.now()) * 1_000_000n);

// The same row sink shape as the decode worker: rows joined and encoded per chunk.
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

function once(body) {
  const request = BODY_CODECS.proto.decodeRequest(signal, body.bytes);
  return walkRequest(request, signal, { limits: DEFAULT_LIMITS, sink, maxRowBytes: 2 << 20 }).accepted;
}

let i = 0;
const warmEnd = performance.now() + 1000;
while (performance.now() < warmEnd) once(bodies[i++ % bodies.length]);
// Count only the WAL bytes of the measured records.
sink.flush();
bytes = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let records = 0;
while (performance.now() - t0 < opts.seconds * 1000) records += once(bodies[i++ % bodies.length]);
sink.flush();
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({
  stage: 'decode+validate (one core)',
  ...opts,
  records,
  seconds,
  recordsPerSecond: records / seconds,
  usPerRecord: ((cpu.user + cpu.system) / records),
  walBytesPerRecord: bytes / records,
}));
