// A WAL segment for the write-stage benchmarks: the validate stage's rows of `shape` spans
// (bench/lib/payloads.mjs), written as the writer's NDJSON, until at least `records` rows.
import fs from 'node:fs';
import { BODY_CODECS } from '../../dist/otlp/codec.js';
import { DEFAULT_LIMITS } from '../../dist/otlp/limits.js';
import { TRACES } from '../../dist/otlp/signals.js';
import { walkRequest } from '../../dist/otlp/validate.js';
import { buildBodies, patchBody } from './payloads.mjs';

/** Writes the segment to `file`; returns its row count. */
export function writeSpanSegment(file, records, shape = 'testbed') {
  const fd = fs.openSync(file, 'w');
  let rows = 0;
  const bodies = buildBodies(shape, 'traces', 16);
  const sink = { push(line) { fs.writeSync(fd, line); rows++; } };
  while (rows < records) {
    const body = bodies[rows % bodies.length];
    patchBody(body, BigInt(Date.now()) * 1_000_000n);
    walkRequest(BODY_CODECS.proto.decodeRequest(TRACES, body.bytes), TRACES, { limits: DEFAULT_LIMITS, sink, maxRowBytes: 2 << 20 });
  }
  fs.closeSync(fd);
  return rows;
}
