#!/usr/bin/env node
// Stage limit: DuckDB writing pre-decoded rows to Parquet, as the writer does it: one WAL
// segment (rows made by the validate stage from the same bodies) converted to one ZSTD Parquet
// file by ParquetConverter. Prints {recordsPerSecond, usPerRecord (CPU), parquetBytesPerRecord}.
//   node bench/stages/duckdb-write.mjs '{"shape":"testbed","signal":"traces","records":300000}'
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { BODY_CODECS } from '../../dist/otlp/codec.js';
import { LOGS_SIGNAL, METRICS_SIGNAL, TRACES } from '../../dist/otlp/signals.js';
import { walkRequest } from '../../dist/otlp/validate.js';
import { DEFAULT_LIMITS } from '../../dist/otlp/limits.js';
import { DataLayout, dayString } from '../../dist/storage/layout.js';
import { ParquetConverter } from '../../dist/storage/parquet.js';
import { buildBodies, patchBody } from '../lib/payloads.mjs';

const opts = { shape: 'testbed', signal: 'traces', records: 300_000, ...JSON.parse(process.argv[2] ?? '{}') };
const signal = { traces: TRACES, logs: LOGS_SIGNAL, metrics: METRICS_SIGNAL }[opts.signal];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glust-stage-'));
const segmentPath = path.join(dir, 'segment.ndjson');
const fd = fs.openSync(segmentPath, 'w');
let rows = 0;
let day = 0;
const bodies = buildBodies(opts.shape, opts.signal, 16);
const sink = { push(line, d) { fs.writeSync(fd, line); rows++; day = d; } };
while (rows < opts.records) {
  const body = bodies[rows % bodies.length];
  patchBody(body, BigInt(Date.now()) * 1_000_000n);
  walkRequest(BODY_CODECS.proto.decodeRequest(signal, body.bytes), signal, { limits: DEFAULT_LIMITS, sink, maxRowBytes: 2 << 20 });
}
fs.closeSync(fd);
const segmentBytes = fs.statSync(segmentPath).size;

const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const conn = await instance.connect();
const converter = new ParquetConverter(conn, new DataLayout(dir));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const result = await converter.convert(signal.table, { path: segmentPath, seq: 1, day: dayString(day), bytes: segmentBytes, rows });
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
conn.closeSync();
instance.closeSync();
fs.rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({
  stage: 'DuckDB write (WAL rows to Parquet)',
  ...opts,
  records: result.rows,
  seconds,
  recordsPerSecond: result.rows / seconds,
  usPerRecord: (cpu.user + cpu.system) / result.rows,
  walBytesPerRecord: segmentBytes / rows,
  parquetBytesPerRecord: result.bytes / result.rows,
}));
